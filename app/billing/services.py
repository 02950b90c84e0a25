"""Billing services: the named actions on invoices. Each is one unit of work that joins the
caller's if there is one (an approval executing `mark_paid` or `void` runs them inside its own),
and takes the acting user explicitly where the caller is not the request's user (`actor=`).

The rules live on the models (app/billing/models.py) and run at every flush, so the generic
API and page writes of lines and payments meet the same ones as these services.

For other domains (the work assignments, SPEC §7):

    create_invoice(client_id, lines=[{"description": ..., "quantity": 1, "unit_price": 250,
                   "tax_rate": 20}], number=derived_invoice_number("VAL/2026/0012"),
                   notes=bank.invoice_notes, assignment_id=assignment.id, send=True, actor=user)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.billing.models import Invoice, InvoiceLine, Payment, lock_invoice
from app.core import context, numbering
from app.core.context import UNSCOPED
from app.core.errors import Conflict, invalid, valid_id
from app.core.models import utcnow
from app.core.uow import unit_of_work
from app.extensions import db

SERIES = "INV"
PAYMENT_TERMS_DAYS = 30
NUMBER_RE = re.compile(r"^INV/(\d{4})/(\d{4,})$")
LINE_FIELDS = ("description", "quantity", "unit_price", "tax_rate", "discount_rate")


def derived_invoice_number(code: str) -> str:
    """The invoice number derived from an assignment's code: `VAL/2026/0012` → `INV/2026/0012`."""
    parts = (code or "").split("/")
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        raise invalid("number", f"Cannot derive an invoice number from {code!r}; expected a code like VAL/2026/0012.")
    return f"{SERIES}/{parts[1]}/{parts[2]}"


def _number_taken(organization_id: int, number: str, but: int | None = None) -> Invoice | None:
    stmt = sa.select(Invoice).where(Invoice.organization_id == organization_id, Invoice.number == number)
    if but is not None:
        stmt = stmt.where(Invoice.id != but)
    with db.session.no_autoflush:
        return db.session.scalars(stmt.execution_options(**{UNSCOPED: True})).first()


def _check_number(organization_id: int, number: object, but: int | None = None) -> str:
    if not isinstance(number, str) or not NUMBER_RE.match(number):
        raise invalid("number", "An invoice number looks like INV/2026/0012.")
    other = _number_taken(organization_id, number, but)
    if other is not None:
        raise Conflict(f"Invoice number {number} is already used (invoice #{other.id}).", {"number": ["Already used."]})
    return number


def next_number(organization_id: int, year: int) -> str:
    """The next number of the organization's INV series for `year`, in the caller's transaction
    (gapless: a counter row locked until the transaction ends). A number already given to an
    invoice derived from an assignment is skipped, so that numbers stay unique."""
    while True:
        number = numbering.format_number(SERIES, year, numbering.allocate(organization_id, SERIES, year))
        if _number_taken(organization_id, number) is None:
            return number


def create_invoice(
    client_id: int,
    *,
    lines: Iterable[Mapping[str, Any]] = (),
    number: str | None = None,
    notes: str | None = None,
    currency: str | None = None,
    issue_date: date | None = None,
    due_date: date | None = None,
    assignment_id: int | None = None,
    send: bool = False,
    actor: Any = None,
) -> Invoice:
    """A draft invoice for a client with its lines, in one unit of work; `number` reserves a
    given (derived) number instead of the next of the series, and `send=True` issues it too."""
    if not valid_id(client_id):
        raise invalid("client", "Not a valid id.")
    with unit_of_work(actor=actor) as session:
        invoice = Invoice(
            client_id=client_id,
            notes=notes,
            currency=currency,
            issue_date=issue_date,
            due_date=due_date,
            assignment_id=assignment_id,
        )
        if number is not None:
            invoice.number = _check_number(context.current_org_id(), number)
        session.add(invoice)
        for spec in lines:
            unknown = set(spec) - set(LINE_FIELDS)
            if unknown:
                raise invalid("lines", f"Unknown line fields: {', '.join(sorted(unknown))}.")
            session.add(InvoiceLine(invoice=invoice, **spec))
        session.flush()
        if send:
            send_invoice(invoice)
    return invoice


def send_invoice(invoice: Invoice, *, actor: Any = None) -> Invoice:
    """Issue a draft: it takes its number (the next of the series for its issue year, unless it
    has a derived one), today as issue date if it has none, a due date 30 days later if it has
    none, and its lines are frozen from now on."""
    with unit_of_work(actor=actor) as session:
        if invoice.status != "draft":
            raise Conflict(f"{invoice.label} was already issued ({invoice.status}).")
        lines = session.scalar(
            sa.select(sa.func.count())
            .select_from(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice.id, InvoiceLine.archived_at.is_(None))
        )
        if not lines or Decimal(invoice.total) <= 0:
            raise Conflict("Add at least one line with an amount before sending this invoice.", {"lines": ["Empty."]})
        invoice.issue_date = invoice.issue_date or date.today()
        invoice.due_date = invoice.due_date or invoice.issue_date + timedelta(days=PAYMENT_TERMS_DAYS)
        if invoice.due_date < invoice.issue_date:
            raise invalid("due_date", "Cannot be before the issue date.")
        if not invoice.number:
            invoice.number = next_number(invoice.organization_id, invoice.issue_date.year)
        invoice.sent_at = utcnow()
        invoice.status = "sent"
    return invoice


def add_payment(
    invoice: Invoice,
    amount: object,
    *,
    date: date | None = None,
    method: str | None = None,
    reference: str | None = None,
    actor: Any = None,
) -> Payment:
    """Record a payment: > 0 and at most the balance due (422), on a sent invoice only (409). The
    invoice's row is locked first; reaching a zero balance marks it paid in the same transaction."""
    with unit_of_work(actor=actor) as session:
        lock_invoice(session, invoice)
        payment = Payment(invoice=invoice, amount=amount, date=date, method=method, reference=reference)
        session.add(payment)
    return payment


def mark_paid(invoice: Invoice, *, date: date | None = None, method: str | None = None, actor: Any = None) -> Invoice:
    """Record a payment of the whole balance due (the invoice becomes paid)."""
    with unit_of_work(actor=actor) as session:
        lock_invoice(session, invoice)
        if invoice.status != "sent":
            raise Conflict(f"Only a sent invoice can be marked paid; {invoice.label} is {invoice.status}.")
        session.add(Payment(invoice=invoice, amount=invoice.balance_due, date=date, method=method))
    return invoice


def void_invoice(invoice: Invoice, *, actor: Any = None) -> Invoice:
    """Void an invoice that has no payments (409 otherwise); an issued one keeps its number."""
    with unit_of_work(actor=actor) as session:
        lock_invoice(session, invoice)
        if invoice.status == "void":
            raise Conflict(f"{invoice.label} is already void.")
        if invoice.status == "draft":
            raise Conflict("A draft was never issued: delete it instead of voiding it.")
        if Decimal(invoice.paid_total) > 0 or invoice.status == "paid":
            raise Conflict(f"{invoice.label} has payments: it cannot be voided (remove the payments first).")
        invoice.voided_at = utcnow()
        invoice.status = "void"
    return invoice


def remove_payment(payment: Payment, *, actor: Any = None) -> Invoice:
    """Delete a payment (the invoice reopens if it was paid)."""
    with unit_of_work(actor=actor) as session:
        invoice = payment.invoice
        session.delete(payment)
    return invoice


# ------------------------------------------------------------------ lines, from the invoice page
def add_line(invoice: Invoice, fields: Mapping[str, Any], *, actor: Any = None) -> InvoiceLine:
    with unit_of_work(actor=actor) as session:
        line = InvoiceLine(invoice=invoice, **{k: v for k, v in fields.items() if k in LINE_FIELDS})
        session.add(line)
    return line


def update_line(line: InvoiceLine, fields: Mapping[str, Any], *, actor: Any = None) -> InvoiceLine:
    with unit_of_work(actor=actor):
        for key, value in fields.items():
            if key in LINE_FIELDS:
                setattr(line, key, value)
    return line


def remove_line(line: InvoiceLine, *, actor: Any = None) -> None:
    with unit_of_work(actor=actor) as session:
        session.delete(line)

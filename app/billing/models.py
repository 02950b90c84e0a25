"""Billing (SPEC §8): invoices with their lines and payments.

* `Invoice.status` is a declared lifecycle (`draft → sent → paid`, or `void`), applied by the
  flush guard on every path. "Overdue" is derived: sent and past its due date.
* Totals are stored on the invoice and on each line, computed in one place
  (app/billing/totals.py) and kept consistent in the same flush: writing a line or a payment
  (`propagate()`, run by the flush guard whatever the entry point) recomputes its invoice.
  Archived lines and payments do not count.
* A payment locks its invoice row (SELECT ... FOR UPDATE) before it reads the balance, so
  concurrent payments queue and none overpays.
* Numbers (`INV/<year>/<seq>`, gapless per organization and year) are allocated when the invoice
  is issued (app/billing/services.py); a draft has none unless one was derived for it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from app.billing import totals as money_totals
from app.core.errors import Conflict, invalid
from app.core.lifecycle import Lifecycle
from app.core.models import BusinessModel, active_index, committed, list_order_indexes, pending_fk
from app.core.money import (
    DEFAULT_CURRENCY,
    MAX_AMOUNT,
    check_currency,
    check_decimal,
    format_amount,
    minor_units,
)

INVOICE_STATUSES = ("draft", "sent", "paid", "void")
ISSUED = ("sent", "paid", "void")
PAYMENT_METHODS = ("bank_transfer", "card", "cash", "cheque", "other")
MAX_QUANTITY = Decimal("999999999.999")  # numeric(12, 3)
MAX_RATE = Decimal(100)
MONEY = sa.Numeric(14, 2)
# what an issued invoice keeps: it is voided and issued anew rather than changed
FROZEN_WHEN_ISSUED = ("client_id", "currency", "issue_date", "assignment_id", "number")
TOTAL_FIELDS = ("subtotal", "discount_total", "tax_total", "total", "paid_total", "balance_due")

INVOICE_STATUS = Lifecycle(
    "status",
    INVOICE_STATUSES,
    resource="Invoice",
    # paid → sent: a payment was removed; void only without payments (services and validate());
    # a draft was never issued: it is deleted, not voided
    moves={"draft": ("sent",), "sent": ("paid", "void"), "paid": ("sent",)},
    initial="draft",
    noun="invoice",
)


def _changed(obj: Any, attr: str) -> bool:
    return sa.inspect(obj).attrs[attr].history.has_changes()


def _invoice_of(session, obj) -> Invoice | None:
    """The saved invoice a line or payment belongs to (None for a reference to no saved invoice:
    the flush guard answers it "Not found in this organization")."""
    invoice = obj.invoice
    if invoice is None and obj.invoice_id is not None:
        invoice = session.get(Invoice, obj.invoice_id)
    if invoice is not None and invoice.id is not None and not sa.inspect(invoice).persistent:
        return None  # an id the API's loader turned into a stand-in object: no such invoice here
    return invoice


def _current(session, model, invoice: Invoice) -> list:
    """The invoice's lines (or payments) as this flush leaves them: saved ones (with their
    unsaved changes), new ones, minus the deleted, archived or moved away."""
    rows = []
    if invoice.id is not None:
        with session.no_autoflush:
            rows = list(session.scalars(sa.select(model).where(model.invoice_id == invoice.id)))
    rows += [o for o in session.new if isinstance(o, model) and o not in rows and _invoice_of(session, o) is invoice]
    return [
        r
        for r in rows
        if r not in session.deleted and r.archived_at is None and pending_fk(r, "invoice_id") in (invoice.id, None)
    ]


def lock_invoice(session, invoice: Invoice) -> None:
    """Take the invoice row's lock for the rest of the transaction (SELECT ... FOR UPDATE on
    PostgreSQL; SQLite serializes writers anyway), then re-read it: a concurrent payment that
    committed first is seen, and this transaction's update is not stale."""
    if invoice.id is None:
        return
    table = Invoice.__table__
    session.execute(sa.select(table.c.id).where(table.c.id == invoice.id).with_for_update())
    if not session.is_modified(invoice, include_collections=False):
        session.refresh(invoice)


def refresh_totals(session, invoice: Invoice) -> None:
    """Recompute the stored amounts of the invoice's lines and its totals (only what changed
    is written)."""
    currency = invoice.currency or DEFAULT_CURRENCY
    amounts = []
    for line in _current(session, InvoiceLine, invoice):
        got = line.amounts(currency)
        for attr, value in zip(("subtotal", "discount_amount", "tax_amount", "total"), vars(got).values(), strict=True):
            if getattr(line, attr) != value:
                setattr(line, attr, value)
        amounts.append(got)
    paid = [Decimal(p.amount) for p in _current(session, Payment, invoice)]
    result = money_totals.invoice_totals(amounts, paid, currency)
    values = (result.subtotal, result.discount, result.tax, result.total, result.paid, result.balance_due)
    for attr, value in zip(TOTAL_FIELDS, values, strict=True):
        if getattr(invoice, attr) is None or Decimal(getattr(invoice, attr)) != value:
            setattr(invoice, attr, value)


class Invoice(BusinessModel):
    __tablename__ = "invoice"
    __lookup_column__ = "number"
    __lifecycles__ = (INVOICE_STATUS,)
    # derived from the lines and payments (recomputed at every flush) or allocated once
    __not_reverted__ = frozenset({*TOTAL_FIELDS, "number", "sent_at", "paid_at", "voided_at"})
    __table_args__ = (
        *list_order_indexes("invoice", "created_at"),
        sa.UniqueConstraint("organization_id", "number"),
        sa.Index("ix_invoice_client_id", "client_id", "status"),
        active_index("ix_invoice_active_status_due", "organization_id", "status", "due_date"),
        # receivables: one GROUP BY over the sent invoices, read from this index alone
        active_index(
            "ix_invoice_active_receivable",
            "organization_id",
            "status",
            "client_id",
            "currency",
            "due_date",
            "balance_due",
        ),
        sa.CheckConstraint(f"status IN {INVOICE_STATUSES!r}", name="status_known"),
        sa.CheckConstraint("status = 'draft' OR number IS NOT NULL", name="issued_has_number"),
        sa.CheckConstraint("paid_total >= 0 AND paid_total <= total", name="never_overpaid"),
    )

    number = sa.Column(sa.String(32))
    client_id = sa.Column(sa.Integer, sa.ForeignKey("client.id"), nullable=False)
    client = relationship("Client", foreign_keys=[client_id], lazy="joined")
    # the work assignment it was generated from (SPEC §7; the work domain adds the foreign key)
    assignment_id = sa.Column(sa.Integer, index=True)
    issue_date = sa.Column(sa.Date)
    due_date = sa.Column(sa.Date)
    currency = sa.Column(sa.String(3), nullable=False, default=DEFAULT_CURRENCY)
    status = sa.Column(sa.String(10), nullable=False, default="draft")
    notes = sa.Column(sa.Text)
    subtotal = sa.Column(MONEY, nullable=False, default=0)
    discount_total = sa.Column(MONEY, nullable=False, default=0)
    tax_total = sa.Column(MONEY, nullable=False, default=0)
    total = sa.Column(MONEY, nullable=False, default=0)
    paid_total = sa.Column(MONEY, nullable=False, default=0)
    balance_due = sa.Column(MONEY, nullable=False, default=0)
    sent_at = sa.Column(sa.DateTime)
    paid_at = sa.Column(sa.DateTime)
    voided_at = sa.Column(sa.DateTime)

    lines = relationship(
        "InvoiceLine", back_populates="invoice", lazy="select", order_by="InvoiceLine.id", cascade="all, delete"
    )
    payments = relationship("Payment", back_populates="invoice", lazy="select", order_by="Payment.id")

    # ---------------------------------------------------------------- derived
    @property
    def is_overdue(self) -> bool:
        return self.status == "sent" and self.due_date is not None and self.due_date < date.today()

    @property
    def label(self) -> str:
        """What lists and pages show for its number: "Draft" until it is issued."""
        if self.status == "draft":
            return f"Draft ({self.number})" if self.number else "Draft"
        return self.number or "—"

    @property
    def display_status(self) -> str:
        return "overdue" if self.is_overdue else self.status

    def money(self, amount) -> str:
        return format_amount(amount, self.currency)

    @property
    def total_label(self) -> str:
        return self.money(self.total)

    @property
    def balance_label(self) -> str:
        return self.money(self.balance_due)

    # ---------------------------------------------------------------- rules
    def normalize(self) -> None:
        if self.id is None:
            self.status = self.status or "draft"
            self.currency = self.currency or DEFAULT_CURRENCY
        if isinstance(self.currency, str):
            self.currency = self.currency.strip().upper()
        for attr in TOTAL_FIELDS:
            if getattr(self, attr) is None:
                setattr(self, attr, Decimal(0))
        if self.status in ("sent", "paid"):  # the balance decides between the two
            self.status = "paid" if Decimal(self.balance_due) <= 0 and Decimal(self.total) > 0 else "sent"
        if self.status == "paid" and self.paid_at is None:
            from app.core.models import utcnow

            self.paid_at = utcnow()
        elif self.status != "paid":
            self.paid_at = None

    def validate(self) -> None:
        check_currency(self.currency)
        if minor_units(self.currency) > 2:
            raise invalid(
                "currency", "Invoices are kept to the cent: currencies with three decimals are not supported."
            )
        if self.client_id is None and self.client is None:
            raise invalid("client", "Required.")
        if self.status not in INVOICE_STATUSES:
            raise invalid("status", f"Unknown status {self.status!r}; one of: {', '.join(INVOICE_STATUSES)}.")
        if self.issue_date and self.due_date and self.due_date < self.issue_date:
            raise invalid("due_date", "Cannot be before the issue date.")
        if self.notes is not None and len(self.notes) > 5000:
            raise invalid("notes", "At most 5,000 characters.")
        if abs(Decimal(self.total)) > MAX_AMOUNT:
            raise invalid("lines", f"The invoice's total would exceed {MAX_AMOUNT:,}.")
        if self.status != "draft" and not self.number:
            raise invalid("number", "An issued invoice has a number.")

    def check_rules(self, session) -> None:
        if self.id is None:
            return
        was = committed(self, "status")
        if was != "draft":
            frozen = [f for f in FROZEN_WHEN_ISSUED if _changed(self, f) and committed(self, f) != getattr(self, f)]
            if frozen:
                names = ", ".join(f.removesuffix("_id").replace("_", " ") for f in frozen)
                raise Conflict(
                    f"An issued invoice's {names} cannot change; void it and issue a new one.",
                    {frozen[0].removesuffix("_id"): ["Frozen: the invoice was issued."]},
                )
        if self.status == "void" and _changed(self, "status") and Decimal(self.paid_total) > 0:
            raise Conflict("This invoice has payments: it cannot be voided (remove the payments first).")

    def propagate(self, session, *, deleted: bool) -> None:
        if not deleted and self.id is not None and _changed(self, "currency"):
            refresh_totals(session, self)

    def before_archive(self) -> None:
        if self.status == "sent":
            raise Conflict(
                f"{self.label} is still due ({self.balance_label}): record its payments or void it before archiving."
            )

    def before_delete(self) -> None:
        if committed(self, "status") != "draft":
            raise Conflict(f"{self.label} was issued: an issued invoice is never deleted; void it instead.")

    def __repr__(self) -> str:
        return self.label if self.number or self.status == "draft" else f"Invoice {self.id}"


class InvoiceLine(BusinessModel):
    __tablename__ = "invoice_line"
    __lookup_column__ = "description"
    __table_args__ = (
        sa.Index("ix_invoice_line_invoice_id", "invoice_id", "id"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="price_not_negative"),
        sa.CheckConstraint("tax_rate >= 0 AND tax_rate <= 100", name="tax_rate_range"),
        sa.CheckConstraint("discount_rate >= 0 AND discount_rate <= 100", name="discount_rate_range"),
    )

    invoice_id = sa.Column(sa.Integer, sa.ForeignKey("invoice.id"), nullable=False)
    invoice = relationship("Invoice", back_populates="lines", lazy="joined")
    description = sa.Column(sa.String(500), nullable=False)
    quantity = sa.Column(sa.Numeric(12, 3), nullable=False, default=1)
    unit_price = sa.Column(MONEY, nullable=False, default=0)
    tax_rate = sa.Column(sa.Numeric(5, 2), nullable=False, default=0)
    discount_rate = sa.Column(sa.Numeric(5, 2), nullable=False, default=0)
    # derived (app/billing/totals.py), in the invoice's currency
    subtotal = sa.Column(MONEY, nullable=False, default=0)
    discount_amount = sa.Column(MONEY, nullable=False, default=0)
    tax_amount = sa.Column(MONEY, nullable=False, default=0)
    total = sa.Column(MONEY, nullable=False, default=0)

    def amounts(self, currency: str) -> money_totals.LineAmounts:
        return money_totals.line_amounts(self.quantity, self.unit_price, self.discount_rate, self.tax_rate, currency)

    def normalize(self) -> None:
        for attr, default in (("quantity", 1), ("unit_price", 0), ("tax_rate", 0), ("discount_rate", 0)):
            if getattr(self, attr) is None or getattr(self, attr) == "":
                setattr(self, attr, Decimal(default))

    def validate(self) -> None:
        if not (self.description or "").strip():
            raise invalid("description", "Required.")
        if self.invoice_id is None and self.invoice is None:
            raise invalid("invoice", "Required.")
        self.quantity = check_decimal(self.quantity, "quantity", places=3, maximum=MAX_QUANTITY, above_minimum=True)
        self.unit_price = check_decimal(self.unit_price, "unit_price", places=2, maximum=MAX_AMOUNT)
        self.tax_rate = check_decimal(self.tax_rate, "tax_rate", places=2, maximum=MAX_RATE)
        self.discount_rate = check_decimal(self.discount_rate, "discount_rate", places=2, maximum=MAX_RATE)
        if self.quantity * self.unit_price > MAX_AMOUNT:
            raise invalid("quantity", f"The line's amount would exceed {MAX_AMOUNT:,}.")

    def propagate(self, session, *, deleted: bool) -> None:
        invoice = _invoice_of(session, self)
        if invoice is None or invoice in session.deleted:
            return
        if invoice.id is not None and committed(invoice, "status") != "draft":
            raise Conflict(
                f"{invoice.label} was issued: its lines are frozen (void it and issue a new one to change them).",
                {"invoice": ["Issued: its lines are frozen."]},
            )
        if self.id is not None and _changed(self, "invoice_id") and committed(self, "invoice_id") is not None:
            raise invalid("invoice", "A line cannot move to another invoice.")
        if not deleted:
            self.normalize()
            self.validate()
        refresh_totals(session, invoice)

    def __repr__(self) -> str:
        return self.description or f"Line {self.id}"


class Payment(BusinessModel):
    __tablename__ = "payment"
    __lookup_column__ = "reference"
    __table_args__ = (
        sa.Index("ix_payment_invoice_id", "invoice_id", "id"),
        *list_order_indexes("payment", "date"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint(f"method IN {PAYMENT_METHODS!r}", name="method_known"),
    )

    invoice_id = sa.Column(sa.Integer, sa.ForeignKey("invoice.id"), nullable=False)
    invoice = relationship("Invoice", back_populates="payments", lazy="joined")
    amount = sa.Column(MONEY, nullable=False)
    date = sa.Column(sa.Date, nullable=False, default=date.today)
    method = sa.Column(sa.String(20), nullable=False, default="bank_transfer")
    reference = sa.Column(sa.String(100))

    @property
    def amount_label(self) -> str:
        return format_amount(self.amount, self.invoice.currency if self.invoice else "")

    def normalize(self) -> None:
        self.method = self.method or "bank_transfer"
        self.date = self.date or date.today()

    def validate(self) -> None:
        if self.invoice_id is None and self.invoice is None:
            raise invalid("invoice", "Required.")
        if self.amount is None or self.amount == "":
            raise invalid("amount", "Required.")
        self.amount = check_decimal(self.amount, "amount", places=2, maximum=MAX_AMOUNT, above_minimum=True)
        if self.method not in PAYMENT_METHODS:
            raise invalid("method", f"One of: {', '.join(PAYMENT_METHODS)}.")

    def propagate(self, session, *, deleted: bool) -> None:
        """Lock the invoice, then check the payment against its fresh balance and update it."""
        invoice = _invoice_of(session, self)
        if invoice is None or invoice in session.deleted:
            return
        if self.id is not None and _changed(self, "invoice_id") and committed(self, "invoice_id") is not None:
            raise invalid("invoice", "A payment cannot move to another invoice.")
        counts = not deleted and self.archived_at is None
        if counts:
            self.normalize()
            self.validate()
        lock_invoice(session, invoice)
        if counts and invoice.status in ("draft", "void"):
            state = "a draft: send it first" if invoice.status == "draft" else "void"
            raise Conflict(f"{invoice.label} is {state}; payments are recorded on sent invoices only.")
        before = Decimal(invoice.balance_due)
        refresh_totals(session, invoice)
        if Decimal(invoice.balance_due) < 0:
            if before <= 0:
                raise Conflict(f"{invoice.label} is paid in full; there is nothing left to pay.")
            room = before + (Decimal(committed(self, "amount") or 0) if self.id is not None else 0)
            raise invalid("amount", f"More than the balance due ({invoice.money(room)}).")
        if counts and minor_units(invoice.currency) < 2 and self.amount != self.amount.to_integral_value():
            raise invalid("amount", f"{invoice.currency} has no cents.")

    def __repr__(self) -> str:
        return f"{self.amount_label} on {self.date}"

"""The printable invoice: one HTML template (A4, one page per invoice) shown in the browser and
turned into a PDF by WeasyPrint — the same template, so the two never differ. Everything it
needs is inline (styles, no image, no font from outside): it prints offline."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import render_template

from app.billing.models import Invoice, InvoiceLine, Payment
from app.core.money import format_amount
from app.core.tenancy import Organization
from app.extensions import db

DEFAULT_NOTE = "Please pay by bank transfer by the due date, quoting the invoice number."


def context(invoice: Invoice) -> dict:
    organization = db.session.get(Organization, invoice.organization_id)
    lines = db.session.scalars(
        sa.select(InvoiceLine)
        .where(InvoiceLine.invoice_id == invoice.id, InvoiceLine.archived_at.is_(None))
        .order_by(InvoiceLine.id)
    ).all()
    payments = db.session.scalars(
        sa.select(Payment).where(Payment.invoice_id == invoice.id, Payment.archived_at.is_(None)).order_by(Payment.date)
    ).all()
    return {
        "invoice": invoice,
        "organization": organization,
        "client": invoice.client,
        "lines": lines,
        "payments": payments,
        "money": lambda amount: format_amount(amount, invoice.currency),
        "note": invoice.notes or DEFAULT_NOTE,
        "printed_on": date.today(),
    }


def render_html(invoice: Invoice, *, for_screen: bool = False) -> str:
    return render_template("billing/invoice_print.html", for_screen=for_screen, **context(invoice))


def _no_fetching(url: str, *args, **kwargs):
    """The template needs nothing from outside; nothing is fetched, whatever a field holds."""
    raise ValueError(f"not fetched: {url[:80]}")


def render_pdf(invoice: Invoice) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(invoice), url_fetcher=_no_fetching).write_pdf()


def filename(invoice: Invoice) -> str:
    stem = (invoice.number or f"draft-{invoice.id}").replace("/", "-")
    return f"{stem}.pdf"


def headers(invoice: Invoice) -> dict[str, str]:
    return {"Content-Disposition": f'inline; filename="{filename(invoice)}"', "Cache-Control": "private, no-store"}

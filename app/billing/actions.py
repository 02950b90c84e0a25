"""Billing's record actions, declared once (API routes, page buttons, /me capabilities). Every
entry point runs them through app/core/actions.run(), where the approval policy gates
`mark_paid` and `void` by default (app/approvals)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.billing import services
from app.billing.models import PAYMENT_METHODS, Invoice
from app.core.actions import Choice, RecordAction
from app.core.history import plain


class PaymentParams(Schema):
    amount = fields.Raw(required=True, metadata={"type": "string", "example": "250.00"})
    date = fields.Date(load_default=None)
    method = fields.String(load_default=None, metadata={"enum": list(PAYMENT_METHODS)})
    reference = fields.String(load_default=None, validate=validate.Length(max=100))


class MarkPaidParams(Schema):
    date = fields.Date(load_default=None)
    method = fields.String(load_default=None, metadata={"enum": list(PAYMENT_METHODS)})


def _payment_dict(payment) -> dict:
    return {
        "id": payment.id,
        "invoice_id": payment.invoice_id,
        "amount": plain(payment.amount),
        "date": plain(payment.date),
        "method": payment.method,
        "reference": payment.reference,
    }


def _invoice_after(invoice: Invoice, _result) -> dict:
    return {
        "id": invoice.id,
        "result": {
            "id": invoice.id,
            "number": invoice.number,
            "status": invoice.status,
            "total": plain(invoice.total),
            "paid_total": plain(invoice.paid_total),
            "balance_due": plain(invoice.balance_due),
            "version": invoice.version,
        },
    }


SEND = RecordAction(
    "send",
    "Send",
    lambda invoice: services.send_invoice(invoice),
    permission="can_send",
    available=lambda invoice: invoice.status == "draft",
    choices=lambda invoice: [
        Choice("Send (issue)", style="primary", icon="fa-paper-plane", confirm="Issue this invoice? Its lines freeze.")
    ],
    result=_invoice_after,
    done=lambda invoice, _: f"{invoice.label} issued.",
    summary="Issue a draft: it takes the next number INV/<year>/<seq> (gapless) and its lines freeze.",
)
MARK_PAID = RecordAction(
    "mark_paid",
    "Mark paid",
    lambda invoice, **params: services.mark_paid(invoice, **params),
    permission="can_mark_paid",
    params=MarkPaidParams,
    available=lambda invoice: invoice.status == "sent",
    choices=lambda invoice: [
        Choice(
            "Mark paid",
            style="success",
            icon="fa-check",
            confirm=f"Record a payment of the whole balance ({invoice.balance_label})?",
        )
    ],
    result=_invoice_after,
    done=lambda invoice, _: f"{invoice.label} paid.",
    summary="Record a payment of the whole balance due; the invoice becomes paid.",
)
VOID = RecordAction(
    "void",
    "Void",
    lambda invoice: services.void_invoice(invoice),
    permission="can_void",
    available=lambda invoice: invoice.status == "sent",
    choices=lambda invoice: [
        Choice("Void", style="danger", icon="fa-ban", confirm="Void this invoice? It keeps its number.")
    ],
    result=_invoice_after,
    done=lambda invoice, _: f"{invoice.label} voided.",
    summary="Void a sent invoice without payments (409 otherwise; a draft is deleted instead); it keeps its number.",
)
ADD_PAYMENT = RecordAction(
    "add_payment",
    "Add payment",
    lambda invoice, **params: services.add_payment(invoice, **params),
    permission="can_add_payment",
    params=PaymentParams,
    path="payments",
    available=lambda invoice: invoice.status == "sent",
    on_page=False,  # the invoice page has its own form under Payments
    status=201,
    result=lambda invoice, payment: {"id": payment.id, "result": _payment_dict(payment)},
    done=lambda invoice, payment: f"Payment of {payment.amount_label} recorded on {invoice.label}.",
    summary='Record a payment: {"amount": "250.00", "date": "2026-03-01", "method": "bank_transfer"}; '
    "> 0 and at most the balance due (422), on a sent invoice (409).",
)

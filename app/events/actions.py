"""Contracts' and events' record actions: `sign`, `add_payment` (POST .../payments) and
`set_support` (POST .../support), declared once (API routes, page buttons, /me capabilities)."""

from __future__ import annotations

from marshmallow import Schema, fields

from app.core.actions import Choice, RecordAction
from app.core.history import plain
from app.events import services


class ContractPaymentParams(Schema):
    amount = fields.Raw(required=True, metadata={"type": "string", "example": "500.00"})
    date = fields.Date(load_default=None)


class SupportParams(Schema):
    user_id = fields.Integer(required=True, allow_none=True, strict=True, metadata={"resource": "User"})


SIGN = RecordAction(
    "sign",
    "Sign",
    lambda contract: services.sign_contract(contract),
    permission="can_sign",
    available=lambda contract: contract.signed_at is None,
    choices=lambda contract: [
        Choice("Mark signed", style="primary", icon="fa-pencil", confirm="Record the signature?")
    ],
    done=lambda contract, _: f"“{contract}” signed.",
    summary="Record the contract's signature (409 if it is signed already).",
)
ADD_PAYMENT = RecordAction(
    "add_payment",
    "Add payment",
    lambda contract, **params: services.add_contract_payment(contract, **params),
    permission="can_add_payment",
    params=ContractPaymentParams,
    path="payments",
    available=lambda contract: contract.amount_due > 0,
    on_page=False,  # the contract page has its own form
    status=201,
    result=lambda contract, payment: {
        "id": payment.id,
        "result": {
            "id": payment.id,
            "contract_id": contract.id,
            "amount": plain(payment.amount),
            "date": plain(payment.date),
            "amount_due": plain(contract.amount_due),
            "status": contract.status,
        },
    },
    done=lambda contract, payment: f"Payment of {payment.amount} recorded; {contract.due_label} still due.",
    summary='Record a payment on the contract: {"amount": "500.00", "date": "2026-03-01"} — > 0 and never more '
    "than is due (422).",
)
SET_SUPPORT = RecordAction(
    "set_support",
    "Set support",
    lambda event, user_id: services.set_support(event, user_id),
    permission="can_set_support",
    params=SupportParams,
    path="support",
    on_page=False,  # the event page has its own picker
    done=lambda event, _: f"Support of “{event}”: {event.support.username if event.support else 'none'}.",
    summary='Assign the support of the event: {"user_id": 7} (a Support user of the organization), or null.',
)

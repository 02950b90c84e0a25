"""Contracts' and events' columns: one spec each, read by the page and the API."""

from __future__ import annotations

from app.core.columns import Columns

CONTRACT = Columns(
    list=("reference", "client", "commercial", "total_amount", "currency", "amount_due", "status", "signed_at"),
    show=(
        "reference",
        "client",
        "commercial",
        "total_amount",
        "currency",
        "paid_amount",
        "amount_due",
        "status",
        "signed_at",
    ),
    form=("reference", "client", "commercial", "total_amount", "currency"),
    search=("reference", "client", "commercial", "status", "signed_at", "amount_due"),
    order=("reference", "total_amount", "amount_due", "status", "signed_at", "created_at"),
    base_order=("created_at", "desc"),
    labels={"total_amount": "Total", "amount_due": "Amount due", "paid_amount": "Paid", "signed_at": "Signed"},
    descriptions={
        "commercial": "Left empty: the client's account manager.",
        "status": "unsigned, signed or paid (derived from the signature and the payments).",
    },
    shown_as={"total_amount": "total_label", "amount_due": "due_label"},
    api_only=frozenset({"currency"}),
)

EVENT = Columns(
    list=("name", "contract", "start", "end", "location", "attendees", "support"),
    show=("name", "contract", "start", "end", "location", "attendees", "support", "notes"),
    form=("name", "contract", "start", "end", "location", "attendees", "notes"),  # support: Admin/Manager, by action
    search=("name", "contract", "start", "end", "location", "support"),
    order=("name", "start", "end", "attendees", "updated_at"),
    base_order=("start", "asc"),
    descriptions={"contract": "A signed contract.", "support": "Assigned by a manager."},
)

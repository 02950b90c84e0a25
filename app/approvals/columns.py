"""Approval requests' columns: one spec read by the page and the API. Nothing is edited through
a form: requests are made by calling a gated action and decided by approve/reject/cancel."""

from __future__ import annotations

from app.core.columns import Columns

REQUEST = Columns(
    list=("id", "action", "resource", "summary", "requester", "status", "created_at", "decided_by", "decided_at"),
    show=(
        "id",
        "status",
        "action",
        "resource",
        "record_id",
        "summary",
        "payload",
        "requester",
        "created_at",
        "decided_by",
        "decided_at",
        "comment",
        "reason",
    ),
    form=(),
    search=("status", "action", "resource", "requester", "decided_by", "created_at", "summary"),
    order=("id", "action", "resource", "status", "created_at", "decided_at"),
    base_order=("id", "desc"),
    labels={
        "id": "#",
        "summary": "Record",
        "record_id": "Record id",
        "payload": "Arguments",
        "created_at": "Asked",
        "decided_by": "Decided by",
        "decided_at": "Decided",
        "reason": "Why it failed",
    },
    shown_as={"action": "action_label"},
    quick=("summary",),
)

"""Approvals (SPEC §9): a per-organization policy over the declared record actions; a gated
action becomes a request decided by someone else (four eyes), with exactly one outcome; the
inbox, the list of requests, the policy page, a navbar badge, notices on the records' pages and
what /me says one may request or decide.

Install it after the domains whose actions it gates (it reads their declarations at run time,
never imports them)."""

from __future__ import annotations

from app.approvals import actions, engine, reading, seed
from app.approvals.api import ApprovalPolicyApi, ApprovalRequestApi
from app.approvals.models import ApprovalRequest
from app.approvals.policy import RESOURCE
from app.approvals.views import ApprovalInboxView, ApprovalPolicyView, ApprovalRequestView
from app.core.registry import EVERY_RESOURCE, Badge, Domain, Menu, Page, Resource
from app.core.roles import READ, ROLE_NAMES, WRITE
from app.core.scope import capability
from app.core.uow import ConstraintMessage

MENU = "Approvals"


def _waiting() -> int | None:
    if not capability("can_read", RESOURCE):
        return None
    return reading.waiting_count()


DOMAIN = Domain(
    name="approvals",
    label="Approvals",
    resources=(
        Resource(
            RESOURCE,
            ApprovalRequest,
            ApprovalRequestView,
            ApprovalRequestApi,
            Menu("All requests", MENU, "fa-list", 20),
            ("can_edit_all",),
            actions=(actions.APPROVE, actions.REJECT, actions.CANCEL),
        ),
    ),
    pages=(
        Page(ApprovalInboxView, Menu("Inbox", MENU, "fa-inbox", 10), resource=RESOURCE),
        Page(ApprovalPolicyView, Menu("Policy", MENU, "fa-sliders", 30), resource="ApprovalPolicy"),
    ),
    apis=(ApprovalPolicyApi,),
    grants={
        # everyone sees the requests about what they can see, and their own; taking part (deciding
        # where can_approve allows it, cancelling one's own) is can_write — not for viewers
        **{role: {RESOURCE: WRITE} for role in ROLE_NAMES[1:] if role != "Viewer"},
        "Viewer": {RESOURCE: READ},
        "Manager": {RESOURCE: [*WRITE, "can_export"], EVERY_RESOURCE: ["can_approve"], "ApprovalPolicy": READ},
        "Finance": {RESOURCE: WRITE, "Invoice": ["can_approve"]},
        "HR": {RESOURCE: WRITE, "LeaveRequest": ["can_approve"]},
    },
    seed=seed.seed,
    interceptors=(engine.intercept,),
    resource_permissions=("can_approve",),
    record_notices=(reading.notices,),
    timeline=(reading.timeline_entries,),
    badges=(Badge("Approvals", "fa-inbox", "ApprovalInboxView.index", _waiting),),
    me={"approvals": reading.capabilities},
    constraint_messages=(
        ConstraintMessage(
            "uq_approval_request_pending",
            "approval_request",
            ("organization_id", "resource", "record_id", "action"),
            "A request for this action on this record is already waiting for approval.",
        ),
    ),
)

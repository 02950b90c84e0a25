"""The approval policy (SPEC §9): per organization, which declared record actions need
approval. An action without a row of `ApprovalPolicy` takes the default (`DEFAULTS`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context

from app.approvals.models import ApprovalPolicy
from app.core import context
from app.core.actions import RecordAction
from app.core.errors import Forbidden, invalid
from app.core.registry import registry
from app.core.uow import unit_of_work
from app.extensions import db

RESOURCE = "ApprovalRequest"
# the sensitive actions of SPEC §9: they need approval unless an organization's policy says not
DEFAULTS = frozenset(
    {
        ("Invoice", "mark_paid"),
        ("Invoice", "void"),
        ("Assignment", "reassign"),
        ("Assignment", "delete"),
        ("LeaveRequest", "approve"),
    }
)
# who decides, in words, per resource (the page's "Awaiting approval by ..."); else "an approver"
DECIDERS = {"Invoice": "Finance", "LeaveRequest": "HR", "Assignment": "a manager"}
NOT_GATEABLE = frozenset({RESOURCE})


# ------------------------------------------------------------------ the policy
def gateable() -> list[tuple[str, RecordAction]]:
    """Every declared record action a policy may gate, resource by resource."""
    return [
        (name, action)
        for name in registry.resources
        if name not in NOT_GATEABLE
        for action in registry.actions_of(name)
    ]


def _overrides(org_id: int) -> dict[tuple[str, str], bool]:
    cache = g.__dict__.setdefault("_opshub_approval_policy", {}) if has_request_context() else {}
    if org_id not in cache:
        rows = db.session.execute(
            sa.select(ApprovalPolicy.resource, ApprovalPolicy.action, ApprovalPolicy.required).where(
                ApprovalPolicy.organization_id == org_id
            )
        ).all()
        cache[org_id] = {(r, a): bool(req) for r, a, req in rows}
    return cache[org_id]


def requires_approval(resource: str, action: str, org_id: int | None = None) -> bool:
    org_id = context.current_org_id() if org_id is None else org_id
    if org_id is None or resource in NOT_GATEABLE:
        return False
    return _overrides(org_id).get((resource, action), (resource, action) in DEFAULTS)


def policy(org_id: int | None = None) -> list[dict[str, Any]]:
    org_id = context.current_org_id() if org_id is None else org_id
    overrides = _overrides(org_id) if org_id is not None else {}
    return [
        {
            "resource": name,
            "action": action.name,
            "label": f"{registry.resources[name].label}: {action.label}",
            "requires_approval": overrides.get((name, action.name), (name, action.name) in DEFAULTS),
            "default": (name, action.name) in DEFAULTS,
        }
        for name, action in gateable()
    ]


def set_policy(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply `[{"resource", "action", "requires_approval"}]` for the active organization (an
    audited transaction of its own); unknown actions are a 422 naming them."""
    org_id = context.current_org_id()
    if org_id is None:
        raise Forbidden("Choose an organization first.")
    known = {(name, action.name) for name, action in gateable()}
    wanted: dict[tuple[str, str], bool] = {}
    for i, change in enumerate(changes):
        key = (change.get("resource"), change.get("action"))
        if key not in known:
            raise invalid(f"policy.{i}", f"No action {key[1]!r} on {key[0]!r} can need approval.")
        if not isinstance(change.get("requires_approval"), bool):
            raise invalid(f"policy.{i}.requires_approval", "true or false.")
        wanted[key] = change["requires_approval"]
    with unit_of_work("approval_policy") as session:
        rows = {
            (p.resource, p.action): p
            for p in session.scalars(sa.select(ApprovalPolicy).where(ApprovalPolicy.organization_id == org_id))
        }
        for (resource, action), required in wanted.items():
            row = rows.get((resource, action))
            if row is None:
                if required == ((resource, action) in DEFAULTS):
                    continue  # the default already: nothing to write
                session.add(ApprovalPolicy(organization_id=org_id, resource=resource, action=action, required=required))
            elif row.required != required:
                row.required = required
    if has_request_context():
        g.__dict__.pop("_opshub_approval_policy", None)
    return policy(org_id)

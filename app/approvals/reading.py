"""What the approvals pages and hooks read: the requests waiting for me (the inbox, the
navbar count, the API filter), what approving would change (a dry run shown with the history's
diff code), /me's capabilities, and the notices and timeline entries on a record's page."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.approvals.engine import request_url
from app.approvals.models import ApprovalRequest
from app.approvals.policy import DECIDERS, NOT_GATEABLE, RESOURCE, requires_approval
from app.core import context, history
from app.core.errors import DomainError, NotFound
from app.core.registry import registry
from app.core.scope import capability
from app.core.uow import dry_run
from app.extensions import db


def decidable_resources() -> list[str]:
    return [name for name in registry.resources if name not in NOT_GATEABLE and capability("can_approve", name)]


def waiting_criteria() -> tuple[sa.ColumnElement[bool], ...]:
    """Pending, asked by someone else, about a resource I may decide (the scope adds the rest)."""
    return (
        ApprovalRequest.status == "pending",
        ApprovalRequest.requester_id != context.current_user_id(),
        ApprovalRequest.resource.in_(decidable_resources()),
    )


def waiting_for_me():
    """The statement of the pending requests the acting user may decide (scoped as always)."""
    return sa.select(ApprovalRequest).where(*waiting_criteria()).order_by(ApprovalRequest.id)


def waiting_count() -> int:
    if context.current_org_id() is None or not decidable_resources():
        return 0
    cache = g.__dict__ if has_request_context() else {}
    if "_opshub_waiting" not in cache:
        stmt = sa.select(sa.func.count()).select_from(waiting_for_me().order_by(None).subquery())
        cache["_opshub_waiting"] = db.session.scalar(stmt) or 0
    return cache["_opshub_waiting"]


def preview(req: ApprovalRequest) -> dict[str, Any]:
    """What approving would change now, as the history tab shows changes (the same diff code):
    the action is run for the requester in a dry run and compared field by field. `error` is
    the action's refusal when it could not be taken now."""
    action = registry.action(req.resource, req.action)
    model = registry.model(req.resource)
    if action is None or model is None:
        return {"changes": [], "error": "This action no longer exists.", "deleted": False}
    fields = history.tracked_fields(model)
    out: dict[str, Any] = {"changes": {}, "error": None, "deleted": False}
    try:
        with context.acting_as(req.requester_id, context.current_org_id()):
            with dry_run("preview", versions=False) as session:
                target = session.get(model, req.record_id)
                if target is None:
                    raise NotFound("The record no longer exists.")
                before = SimpleNamespace(**{f: getattr(target, f) for f in fields})
                action.service(target, **action.load(req.arguments))
                session.flush()
                deleted = target not in session or sa.inspect(target).deleted
                after = SimpleNamespace(operation_type=2 if deleted else 1, **{f: getattr(target, f) for f in fields})
                out["changes"] = history.diff(model, before, after)
                out["deleted"] = bool(deleted)
    except (DomainError, IntegrityError, StaleDataError) as exc:
        out["error"] = getattr(exc, "message", None) or "The action could not be taken now."
    except Exception:  # a preview must never break the inbox
        current_app.logger.exception("approval preview of request %s failed", req.id)
        out["error"] = "No preview."
    entries = history.humanize(db.session, model, [{"operation": "update", "changes": out["changes"]}])
    out["changes"] = entries[0]["changes"] if entries else []
    return out


def capabilities() -> dict[str, Any]:
    """For GET /api/v1/me: per resource, the actions the user may take directly, those they may
    only request (the policy gates them), and whether they may approve requests about it."""
    from app.core.actions import capabilities as action_capabilities

    out: dict[str, Any] = {"act": {}, "request": {}, "approve": decidable_resources()}
    for resource, names in action_capabilities().items():
        for name in names:
            key = "request" if requires_approval(resource, name) else "act"
            out[key].setdefault(resource, []).append(name)
    return out


def timeline_entries(records: dict[str, list[int]]) -> list[dict[str, Any]]:
    """For records' timelines: each request about them and its decision."""
    wanted = [
        sa.and_(ApprovalRequest.resource == name, ApprovalRequest.record_id.in_(ids))
        for name, ids in records.items()
        if ids and name not in NOT_GATEABLE
    ]
    if not wanted or not capability("can_read", RESOURCE):
        return []
    rows = db.session.scalars(
        sa.select(ApprovalRequest).where(sa.or_(*wanted)).order_by(ApprovalRequest.id.desc()).limit(30)
    ).all()
    out = []
    for req in rows:
        base = {"kind": "approval", "resource": req.resource, "record_id": req.record_id}
        out.append(
            {
                **base,
                "when": req.created_at,
                "text": f"{req.action_label} asked for approval (request #{req.id})",
                "user": req.requester.username,
            }
        )
        if req.decided_at is not None:
            outcome = f"not done: {req.reason}" if req.status == "failed" else req.status
            comment = f" — “{req.comment}”" if req.comment else ""
            out.append(
                {
                    **base,
                    "when": req.decided_at,
                    "text": f"{req.action_label} {outcome} (request #{req.id}){comment}",
                    "user": req.decided_by.username if req.decided_by else None,
                }
            )
    return out


def notices(item) -> list[dict[str, Any]]:
    """For a record's page: its pending requests and the last decisions about it."""
    resource = registry.resource_for_model(type(item))
    if resource is None or resource.name in NOT_GATEABLE or not capability("can_read", RESOURCE):
        return []
    rows = db.session.scalars(
        sa.select(ApprovalRequest)
        .where(ApprovalRequest.resource == resource.name, ApprovalRequest.record_id == item.id)
        .order_by(ApprovalRequest.id.desc())
        .limit(5)
    ).all()
    out = []
    for req in rows:
        if req.status == "pending":
            deciders = DECIDERS.get(req.resource, "an approver")
            text = f"{req.action_label}: awaiting approval by {deciders} (asked by {req.requester.username})."
            level = "info"
        else:
            who = req.decided_by.username if req.decided_by else "someone"
            if req.status == "failed":
                text = f"{req.action_label}: not done — {req.reason}"
            else:
                text = f"{req.action_label}: {req.status} by {who}" + (f" — “{req.comment}”" if req.comment else ".")
            level = {"approved": "success", "failed": "danger"}.get(req.status, "warning")
        out.append({"level": level, "text": text, "url": request_url(req), "id": req.id, "status": req.status})
    return out

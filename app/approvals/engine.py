"""The approval engine (SPEC §9): a policy over the declared record actions, requests instead of
acts, and decisions by four eyes with exactly one outcome.

Every entry point of a record action — page button, bulk action, API route, the generic DELETE,
the CLI (which is an API client) — goes through `app.core.actions.run()`; this module's
`intercept` is registered there by the approvals domain. When the organization's policy says
the action needs approval, the call does not act: the arguments and the current rules are checked
by running the action in a dry run (a request that could never succeed is refused now, with the
action's own error), and a pending `ApprovalRequest` is written instead (202).

Approving executes the action through its declared service, on behalf of the requester (the
rules check the requester's rights; the version's transaction names the requester as its user
and the approver as `approved_by_id`), in the same transaction as the decision. When the action's
rules now refuse it, that transaction is rolled back whole and the request is marked `failed`
with the rule's message in a transaction of its own.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_request_context, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.approvals.models import MAX_COMMENT, ApprovalPolicy, ApprovalRequest
from app.core import context, history
from app.core.actions import Outcome, RecordAction
from app.core.errors import Conflict, DomainError, Forbidden, NotFound, invalid
from app.core.models import utcnow
from app.core.registry import registry
from app.core.scope import capability
from app.core.uow import STALE_MESSAGE, dry_run, in_unit_of_work, integrity_message, unit_of_work
from app.core.versioning import APPROVED_BY_KEY
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


# ------------------------------------------------------------------ requesting
def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _payload(action: RecordAction, params: dict[str, Any]) -> str:
    # left-out arguments take their defaults again when the action is taken
    return json.dumps({k: _jsonable(v) for k, v in params.items() if v is not None}, sort_keys=True)


def pending_for(resource: str, record_id: int, action: str | None = None) -> list[ApprovalRequest]:
    stmt = sa.select(ApprovalRequest).where(
        ApprovalRequest.resource == resource,
        ApprovalRequest.record_id == record_id,
        ApprovalRequest.status == "pending",
    )
    if action is not None:
        stmt = stmt.where(ApprovalRequest.action == action)
    return list(db.session.scalars(stmt.order_by(ApprovalRequest.id)))


def _already_waiting(first: ApprovalRequest) -> Conflict:
    return Conflict(f"Request #{first.id} for this action on this record is already waiting for approval.")


def _check_now(action: RecordAction, record, params: dict[str, Any]) -> None:
    """Run the action in a dry run: its own rules refuse now what could never succeed."""
    if in_unit_of_work():
        return  # inside a larger action (none today): its outcome decides, at approval
    try:
        with dry_run("request_approval", versions=False):
            action.service(record, **params)
    except IntegrityError as exc:
        raise Conflict(integrity_message(exc)) from exc
    except StaleDataError as exc:
        raise Conflict(STALE_MESSAGE) from exc


def request(resource: str, action: RecordAction, record, params: dict[str, Any]) -> ApprovalRequest:
    """A pending request for `action` on `record` (the action itself is not taken)."""
    first = next(iter(pending_for(resource, record.id, action.name)), None)
    if first is not None:
        raise _already_waiting(first)
    record_id, summary = record.id, str(record)[:200]
    _check_now(action, record, params)
    with unit_of_work("request_approval") as session:
        req = ApprovalRequest(
            resource=resource,
            record_id=record_id,
            action=action.name,
            payload=_payload(action, params),
            summary=summary,
            requester_id=context.current_user_id(),
            status="pending",
        )
        session.add(req)
    return req


def intercept(resource: str, action: RecordAction, record, params: dict[str, Any]) -> Outcome | None:
    """app.core.actions.run()'s policy: a gated action becomes a pending request."""
    if not requires_approval(resource, action.name):
        return None
    req = request(resource, action, record, params)
    return Outcome(pending=pending_body(req))


def pending_body(req: ApprovalRequest) -> dict[str, Any]:
    who = DECIDERS.get(req.resource, "an approver")
    return {
        "approval_request_id": req.id,
        "status": req.status,
        "message": f"Sent for approval (request #{req.id}): awaiting approval by {who}.",
        "url": _url(req),
    }


def _url(req: ApprovalRequest) -> str | None:
    try:
        return url_for("ApprovalRequestView.show", pk=req.id)
    except Exception:
        return None


# ------------------------------------------------------------------ deciding
def may_decide(req: ApprovalRequest) -> bool:
    return (
        req.status == "pending"
        and req.requester_id != context.current_user_id()
        and capability("can_approve", req.resource)
    )


def _check_decider(req: ApprovalRequest) -> None:
    if req.requester_id == context.current_user_id():
        raise Forbidden("You asked for this: someone else decides it (four eyes).")
    if not capability("can_approve", req.resource):
        raise Forbidden(f"You may not decide requests about {registry.resources[req.resource].label.lower()}.")


class AlreadyDecided(Conflict):
    """The request is no longer pending: another decision (or the requester's cancel) won."""


def _lock_pending(session, req: ApprovalRequest) -> None:
    """Take the request's row (PostgreSQL: FOR UPDATE, so that a racing decision waits and then
    sees the outcome) and refuse it unless it is still pending. On SQLite, writers are serialized
    and the version counter turns a lost race into a stale write (409) all the same."""
    session.execute(sa.select(ApprovalRequest.id).where(ApprovalRequest.id == req.id).with_for_update())
    session.refresh(req)
    if req.status != "pending":
        raise AlreadyDecided(f"Request #{req.id} was already {req.status}.")


def _comment(comment: Any) -> str | None:
    if comment is None:
        return None
    if not isinstance(comment, str):
        raise invalid("comment", "Text.")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise invalid("comment", f"At most {MAX_COMMENT} characters.")
    return comment or None


def _target(req: ApprovalRequest):
    model = registry.model(req.resource)
    if model is None:
        raise NotFound("The record of this request no longer exists.")
    target = db.session.get(model, req.record_id, populate_existing=True)
    if target is None:
        raise NotFound(f"The {registry.resources[req.resource].label.lower()} of this request no longer exists.")
    return target


def _decide(
    req: ApprovalRequest, status: str, decided_by: int | None, comment: str | None, reason: str | None = None
) -> None:
    req.status = status
    req.decided_by_id = decided_by
    req.decided_at = utcnow()
    req.comment = comment
    req.reason = reason[:500] if reason else None


def approve(req: ApprovalRequest, comment: Any = None) -> ApprovalRequest:
    """Decide yes and take the action for the requester, in one transaction whose versions name
    the requester as their user and the approver as `approved_by_id`. When the action's rules
    refuse it now, nothing of it stays and the request ends `failed` with their message (409)."""
    comment = _comment(comment)
    _check_decider(req)
    approver_id = context.current_user_id()
    action = registry.action(req.resource, req.action)
    session = db.session
    try:
        if action is None:
            raise Conflict(f"The action {req.action!r} no longer exists.")
        session.info[APPROVED_BY_KEY] = approver_id
        with unit_of_work("approve_request", actor=req.requester_id):
            _lock_pending(session, req)
            _decide(req, "approved", approver_id, comment)
            session.flush()
            target = _target(req)
            action.service(target, **action.load(req.arguments))
    except AlreadyDecided:
        raise
    except DomainError as exc:
        session.info.pop(APPROVED_BY_KEY, None)
        _fail(req, approver_id, comment, exc.message)
        raise Conflict(f"The action failed: {exc.message} Request #{req.id} is marked failed.") from exc
    finally:
        session.info.pop(APPROVED_BY_KEY, None)
    return req


def _fail(req: ApprovalRequest, approver_id: int | None, comment: str | None, reason: str) -> None:
    """Record the refusal in a transaction of its own (AlreadyDecided when a racing decision won)."""
    with unit_of_work("approval_failed") as session:
        _lock_pending(session, req)
        _decide(req, "failed", approver_id, comment, reason)


def reject(req: ApprovalRequest, comment: Any = None) -> ApprovalRequest:
    comment = _comment(comment)
    _check_decider(req)
    with unit_of_work("reject_request") as session:
        _lock_pending(session, req)
        _decide(req, "rejected", context.current_user_id(), comment)
    return req


def cancel(req: ApprovalRequest, comment: Any = None) -> ApprovalRequest:
    comment = _comment(comment)
    if req.requester_id != context.current_user_id():
        raise Forbidden("Only the person who asked can cancel a request.")
    with unit_of_work("cancel_request") as session:
        _lock_pending(session, req)
        _decide(req, "cancelled", context.current_user_id(), comment)
    return req


# ------------------------------------------------------------------ reading
def decidable_resources() -> list[str]:
    return [name for name in registry.resources if name not in NOT_GATEABLE and capability("can_approve", name)]


def waiting_for_me():
    """The statement of the pending requests the acting user may decide (scoped as always)."""
    return (
        sa.select(ApprovalRequest)
        .where(
            ApprovalRequest.status == "pending",
            ApprovalRequest.requester_id != context.current_user_id(),
            ApprovalRequest.resource.in_(decidable_resources()),
        )
        .order_by(ApprovalRequest.id)
    )


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
        out.append({"level": level, "text": text, "url": _url(req), "id": req.id, "status": req.status})
    return out


# ------------------------------------------------------------------ a deleted record's requests
DELETED_REASON = "The record was deleted before the request was decided."


def _fail_requests_of_deleted(session, _flush_context, _instances) -> None:
    """A record deleted (by any path) takes its pending requests with it: they end `failed` in
    the same flush, so that none can be approved later — on SQLite a new row may even get the
    deleted one's id. Runs first among the flush hooks, so that the flush guard and Continuum
    see these changes like any other."""
    deleted = []
    for obj in session.deleted:
        resource = registry.resource_for_model(type(obj))
        if resource is not None and resource.name not in NOT_GATEABLE and getattr(obj, "id", None) is not None:
            deleted.append((resource.name, obj.id))
    if not deleted:
        return
    with session.no_autoflush:
        for name, pk in deleted:
            waiting = session.scalars(
                sa.select(ApprovalRequest).where(
                    ApprovalRequest.resource == name,
                    ApprovalRequest.record_id == pk,
                    ApprovalRequest.status == "pending",
                )
            )
            for req in waiting:
                if req in session.dirty:
                    continue  # the request being decided right now (approving a delete)
                _decide(req, "failed", context.current_user_id(), None, DELETED_REASON)


sa.event.listen(sa.orm.Session, "before_flush", _fail_requests_of_deleted, insert=True)

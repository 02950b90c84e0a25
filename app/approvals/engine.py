"""The approval engine (SPEC §9): requests instead of acts, and decisions by four eyes with
exactly one outcome. (The policy is app/approvals/policy.py; what the pages read, reading.py.)

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
from typing import Any

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.approvals.models import MAX_COMMENT, ApprovalRequest
from app.approvals.policy import DECIDERS, NOT_GATEABLE, requires_approval
from app.core import context, history
from app.core.actions import Outcome, RecordAction
from app.core.errors import Conflict, DomainError, Forbidden, NotFound, invalid
from app.core.models import utcnow
from app.core.registry import registry
from app.core.scope import capability
from app.core.uow import STALE_MESSAGE, dry_run, in_unit_of_work, integrity_message, unit_of_work
from app.core.versioning import APPROVED_BY_KEY
from app.extensions import db


# ------------------------------------------------------------------ requesting
def _payload(action: RecordAction, params: dict[str, Any]) -> str:
    # left-out arguments take their defaults again when the action is taken
    return json.dumps({k: history.plain(v) for k, v in params.items() if v is not None}, sort_keys=True)


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
        "url": request_url(req),
    }


def request_url(req: ApprovalRequest) -> str | None:
    try:
        return url_for("ApprovalRequestView.show", pk=req.id)
    except Exception:
        return None


# ------------------------------------------------------------------ deciding
def _refusal(req: ApprovalRequest) -> str | None:
    """Why the acting user may not decide `req` (four eyes, can_approve on its resource), or None."""
    if req.requester_id == context.current_user_id():
        return "You asked for this: someone else decides it (four eyes)."
    if not capability("can_approve", req.resource):
        return f"You may not decide requests about {registry.resources[req.resource].label.lower()}."
    return None


def may_decide(req: ApprovalRequest) -> bool:
    return req.status == "pending" and _refusal(req) is None


def _check_decider(req: ApprovalRequest) -> None:
    refusal = _refusal(req)
    if refusal is not None:
        raise Forbidden(refusal)


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

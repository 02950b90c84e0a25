"""The decisions on a request, declared as record actions of ApprovalRequest: the API routes
`POST /api/v1/approvals/<pk>/approve|reject|cancel {"comment"}`, the request page's buttons and
the /me capabilities. Who may decide is the engine's rule (four eyes, `can_approve` on the
target's resource); the buttons are offered only where it would allow them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.approvals import engine
from app.approvals.models import MAX_COMMENT
from app.core import context
from app.core.actions import Choice, RecordAction


class CommentParams(Schema):
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=MAX_COMMENT))


def _result(req, _value) -> dict:
    return {
        "id": req.id,
        "result": {
            "id": req.id,
            "status": req.status,
            "decided_by": req.decided_by_id,
            "decided_at": req.decided_at.isoformat() if req.decided_at else None,
            "comment": req.comment,
            "reason": req.reason,
        },
    }


def _pending(req) -> bool:
    return req.status == "pending"


APPROVE = RecordAction(
    "approve",
    "Approve",
    lambda req, comment=None: engine.approve(req, comment),
    permission="can_write",  # taking part in approvals; plus can_approve on the target's resource (the engine)
    params=CommentParams,
    available=_pending,
    owner_rule=False,
    on_page=False,  # the request page has its own form, with a comment
    allowed=lambda req, _choice: engine.may_decide(req),
    result=_result,
    done=lambda req, _: f"Request #{req.id} approved: {req.action_label.lower()} done on {req.summary}.",
    summary="Approve a pending request: the action is taken for its requester, in the same transaction "
    '({"comment": "..."} optional). 403 for your own request or without can_approve on its record; 409 once '
    "decided, or when the rules of the action now refuse it (the request is then failed).",
)
REJECT = RecordAction(
    "reject",
    "Reject",
    lambda req, comment=None: engine.reject(req, comment),
    permission="can_write",
    params=CommentParams,
    available=_pending,
    owner_rule=False,
    on_page=False,
    allowed=lambda req, _choice: engine.may_decide(req),
    result=_result,
    done=lambda req, _: f"Request #{req.id} rejected.",
    summary='Reject a pending request ({"comment": "why"}); its record is left as it is. 403/409 as for approve.',
)
CANCEL = RecordAction(
    "cancel",
    "Cancel",
    lambda req, comment=None: engine.cancel(req, comment),
    permission="can_write",
    params=CommentParams,
    available=_pending,
    owner_rule=False,
    allowed=lambda req, _choice: req.requester_id == context.current_user_id(),
    choices=lambda req: [Choice("Cancel my request", icon="fa-ban", confirm="Withdraw this request?")],
    result=_result,
    done=lambda req, _: f"Request #{req.id} cancelled.",
    summary="Withdraw your own pending request (403 for someone else's).",
)

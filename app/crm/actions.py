"""The CRM's record actions, declared once: the API routes, page buttons, bulk actions and
capabilities come from these (app/core/actions.py)."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from app.core.actions import Choice, RecordAction
from app.crm import services
from app.crm.models import DEAL_STAGE, DEAL_STATUS, LEAD_STATUS, OPEN_STAGES


# the services name an unknown stage or status in their own words (422)
class DealMoveParams(Schema):
    stage = fields.String(required=True, metadata={"enum": list(OPEN_STAGES)})


class DealCloseParams(Schema):
    status = fields.String(required=True, metadata={"enum": ["won", "lost"]})


class DealCommentParams(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class LeadConvertParams(Schema):
    deal_title = fields.String(validate=validate.Length(min=1, max=200))
    amount = fields.Decimal(allow_nan=False, as_string=True)  # the service refuses negatives and NaN


def _move_choices(deal) -> list[Choice]:
    if deal.status != "open":
        return [Choice("Reopen", {"stage": OPEN_STAGES[-1]}, icon="fa-undo", confirm="Reopen this closed deal?")]
    here = OPEN_STAGES.index(deal.stage)
    return [
        Choice(
            f"Move to {stage}" if i > here else f"Back to {stage}",
            {"stage": stage},
            style="primary" if i == here + 1 else "default",
            icon="fa-arrow-right" if i > here else "fa-arrow-left",
        )
        for i, stage in enumerate(OPEN_STAGES)
        if i != here
    ]


def _may_move(deal, choice: Choice) -> bool:
    stage = choice.params["stage"]
    if deal.status != "open":
        return DEAL_STATUS.may_roll_back() and DEAL_STAGE.may_roll_back()
    return DEAL_STAGE.may_move(deal, stage)


MOVE_DEAL = RecordAction(
    "move",
    "Move",
    lambda deal, stage: services.move_deal(deal, stage),
    params=DealMoveParams,
    choices=_move_choices,
    allowed=_may_move,
    done=lambda deal, _: f"“{deal}” moved to {deal.stage}.",
    summary='Move a deal to another stage: {"stage": "proposal"}. Forward (skipping too) is allowed; back needs '
    "the right to roll back (403).",
)
CLOSE_DEAL = RecordAction(
    "close",
    "Close",
    lambda deal, status: services.close_deal(deal, status),
    params=DealCloseParams,
    available=lambda deal: deal.status == "open",
    choices=lambda deal: [
        Choice("Close as won", {"status": "won"}, style="success", confirm="Close this deal as won?"),
        Choice("Close as lost", {"status": "lost"}, confirm="Close this deal as lost?"),
    ],
    done=lambda deal, _: f"“{deal}” closed as {deal.status}.",
    summary='Close a deal: {"status": "won"} (needs an amount > 0) or {"status": "lost"}.',
)
COMMENT_DEAL = RecordAction(
    "comment",
    "Comment",
    lambda deal, body: services.add_comment(body, deal=deal),
    params=DealCommentParams,
    owner_rule=False,  # a comment is an activity on the deal's timeline, not a change of the deal
    on_page=False,  # the Timeline tab has the form
    status=201,
    result=lambda deal, activity: {"result": services.activity_dict(activity), "id": activity.id},
    done=lambda deal, _: "Comment added.",
    summary='Comment on a deal: {"body": "Called the buyer"} (also POST .../activities).',
)
LEAD_TRANSITION = LEAD_STATUS.action(label="Move")
CONVERT_LEAD = RecordAction(
    "convert",
    "Convert",
    lambda lead, **params: services.convert_lead(lead, **params),
    params=LeadConvertParams,
    available=lambda lead: lead.status == "qualified" and lead.converted_at is None,
    choices=lambda lead: [
        Choice(
            "Convert to client and deal",
            style="success",
            icon="fa-exchange",
            confirm="Convert this lead into a client, a contact and an open deal?",
        )
    ],
    status=201,
    bulk=True,
    result=lambda lead, deal: {
        "result": {"lead_id": lead.id, "client_id": deal.client_id, "contact_id": deal.contact_id, "deal_id": deal.id}
    },
    done=lambda lead, deal: f"{lead.name} converted: client {deal.client.name} and deal {deal.title}.",
    next_page=lambda lead, deal: url_for("DealView.show", pk=deal.id),
    summary="Convert a qualified lead into a client, its contact and an open deal, in one transaction.",
)

"""The pipeline board: lead columns by status, deal columns by stage, each with its count and
total and its newest cards (BOARD_CAP; the rest behind "more"). A card's buttons are the deal's
and lead's declared record actions that the user may take on it; they post to the same page
route (`/<resource>/do/<action>/<pk>`) as the record pages, which calls the same services as the
API."""

from __future__ import annotations

import sqlalchemy as sa
from flask import request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access

from app.core import actions as record_actions
from app.core import context
from app.core.money import money_by_currency
from app.core.registry import registry
from app.crm import analytics
from app.crm.models import DEAL_STAGES, LEAD_STATUSES, OPEN_STAGES, Deal, Lead
from app.extensions import db

BOARD_CAP = 20  # cards per column; the rest behind "more"
# compact labels of the board's buttons
BOARD_LABELS = {"Close as won": "Won", "Close as lost": "Lost"}


def card_buttons(resource: str, record) -> list[dict]:
    """The actions the user may take on a card, as small forms (the record page's buttons)."""
    out = []
    for name in ("move", "close", "transition", "convert"):
        act = registry.action(resource, name)
        if act is None or not record_actions.may(resource, act, record):
            continue
        for choice in act.buttons(record):
            label = BOARD_LABELS.get(choice.label, choice.label)
            if name == "move" and record.status == "open":
                here, there = OPEN_STAGES.index(record.stage), OPEN_STAGES.index(choice.params["stage"])
                if abs(there - here) != 1:
                    continue  # the board offers the neighbouring stages; the others are a drag away
                label = "→" if there > here else "←"
            out.append(
                {
                    "url": url_for(f"{registry.resources[resource].view.__name__}.do", name=name, pk=record.id),
                    "params": dict(choice.params),
                    "label": label,
                    "title": choice.label,
                    "css": choice.style,
                    "confirm": choice.confirm,
                }
            )
    return out


class PipelineView(BaseView):
    """The board: lead columns by status, deal columns by stage, each with its count and total
    and its newest cards (BOARD_CAP; the rest behind "more"). Moves post to the deal and lead
    transition routes, which call the same services as the API."""

    route_base = "/pipeline"
    class_permission_name = "Deal"
    method_permission_name = {"board": "read"}
    default_view = "board"

    @expose("/")
    @has_access
    def board(self):
        mine = request.args.get("mine") == "1"
        sm = self.appbuilder.sm
        return self.render_template(
            "opshub/pipeline.html",
            mine=mine,
            deal_columns=deal_columns(mine),
            lead_columns=lead_columns(mine) if sm.has_access("can_read", "Lead") else None,
            card_buttons=card_buttons,
            cap=BOARD_CAP,
            money=money_by_currency,
        )


def _cards(model, group_col, value: str, mine: bool) -> list:
    stmt = (
        sa.select(model)
        .where(group_col == value, model.archived_at.is_(None))
        .order_by(model.updated_at.desc(), model.id.desc())
        .limit(BOARD_CAP)
    )
    if mine:
        stmt = stmt.where(model.owner_id == context.current_user_id())
    return list(db.session.scalars(stmt).unique())


def deal_columns(mine: bool = False) -> list[dict]:
    """Column totals from the analytics' own GROUP BYs (covering indexes), cards per column."""
    flt = analytics.DealFilter(owner_id=context.current_user_id() if mine else None)
    counts = dict.fromkeys(DEAL_STAGES, 0)
    amounts: dict[str, analytics.Amounts] = {s: {} for s in DEAL_STAGES}
    for stage, _furthest, currency, count, amount in db.session.execute(analytics.funnel_statement(flt)):
        counts[stage] += count
        analytics.add_amount(amounts[stage], currency, amount)
    won: analytics.Amounts = {}
    for status, currency, _count, amount in db.session.execute(analytics.summary_statement(flt)):
        if status == "won":
            analytics.add_amount(won, currency, amount)
    return [
        {
            "key": stage,
            "count": counts[stage],
            "amounts": amounts[stage],  # per currency: never added together
            "won": won if stage == "closed" else None,
            "cards": _cards(Deal, Deal.stage, stage, mine),
        }
        for stage in DEAL_STAGES
    ]


def lead_columns(mine: bool = False) -> list[dict]:
    totals = analytics.lead_status_counts(context.current_user_id() if mine else None)
    return [
        {"key": status, "count": totals.get(status, 0), "cards": _cards(Lead, Lead.status, status, mine)}
        for status in LEAD_STATUSES
    ]

"""The CRM's dashboard widgets: counts, the pipeline's value and charts (from the same analytics
functions the API serves), leads by status and my open tasks. A few GROUP BYs each: nothing here
grows with the number of rows on the page."""

from __future__ import annotations

import sqlalchemy as sa

from app.core import context
from app.core.charts import bars
from app.core.money import money_by_currency
from app.core.registry import Widget
from app.crm import analytics
from app.crm.models import Client, Contact
from app.extensions import db


def _clients() -> dict:
    user_id = context.current_user_id()
    total, mine = db.session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(Client.owner_id == user_id)).where(
            Client.archived_at.is_(None)
        )
    ).one()
    return {
        "title": "Clients",
        "count": total,
        "sub": f"{mine} managed by you",
        "url": f"/clients/list/?_flt_0_owner={user_id}",
        "empty": 'No clients yet. <a href="/clients/add">Add your first client</a>.' if total == 0 else None,
    }


def _contacts() -> dict:
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Contact).where(Contact.archived_at.is_(None)))
    return {"title": "Contacts", "count": total, "sub": "active", "url": "/contacts/list/"}


def _pipeline_value() -> dict:
    summary = analytics.deal_summary(analytics.DealFilter())
    return {"summary": summary, "value": money_by_currency(summary["pipeline_value"], "0")}


def _deal_status() -> dict:
    summary = analytics.deal_summary(analytics.DealFilter())
    return {
        "summary": summary,
        "average_won": money_by_currency(summary["average_won_amount"]),
        "average_size": money_by_currency(summary["average_deal_size"]),
        "bars": bars(
            [
                (r["status"], r["count"], f"{r['count']:,} · {money_by_currency(r['amounts'])}")
                for r in summary["by_status"]
            ],
            {"won": "bar bar-won", "lost": "bar bar-lost", "open": "bar bar-open"},
        ),
    }


def _funnel() -> dict:
    funnel = analytics.deal_funnel(analytics.DealFilter())
    return {
        "bars": bars(
            [
                (
                    s["stage"] if s["stage"] != "closed" else "won",
                    s["reached"],
                    f"{s['reached']:,}"
                    + (f" → {s['conversion_to_next']:.0%}" if s["conversion_to_next"] is not None else ""),
                )
                for s in funnel["stages"]
            ]
        )
    }


def _leads() -> dict:
    return {"bars": bars([(r["status"], r["count"], f"{r['count']:,}") for r in analytics.lead_counts()])}


def _my_tasks() -> dict:
    return {"tasks": analytics.my_open_tasks(context.current_user_id())}


WIDGETS = (
    Widget("clients", "opshub/widgets/count_card.html", _clients, ("can_read", "Client"), order=10, kind="card"),
    Widget("contacts", "opshub/widgets/count_card.html", _contacts, ("can_read", "Contact"), order=20, kind="card"),
    Widget("pipeline-value", "opshub/widgets/pipeline_value.html", _pipeline_value, ("can_read", "Deal"), 30, "card"),
    Widget("deal-status", "opshub/widgets/deal_status.html", _deal_status, ("can_read", "Deal"), order=40),
    Widget("funnel", "opshub/widgets/funnel.html", _funnel, ("can_read", "Deal"), order=50),
    Widget("leads", "opshub/widgets/leads.html", _leads, ("can_read", "Lead"), order=60),
    Widget("my-tasks", "opshub/widgets/my_tasks.html", _my_tasks, ("can_read", "Task"), order=70),
)

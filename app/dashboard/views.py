"""The landing page after login: counts for the active organization."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app, redirect
from flask_appbuilder import IndexView, expose

from app.core import context
from app.dashboard.charts import bars
from app.extensions import db


def dashboard_cards() -> list[dict]:
    """One aggregate query per resource the user may read (a few rows, not the table)."""
    from app.crm.models import Client, Contact

    sm = current_app.appbuilder.sm
    user_id = context.current_user_id()
    cards = []
    if sm.has_capability("can_read", "Client"):
        total, mine = db.session.execute(
            sa.select(sa.func.count(), sa.func.count().filter(Client.owner_id == user_id)).where(
                Client.archived_at.is_(None)
            )
        ).one()
        cards.append(
            {
                "title": "Clients",
                "count": total,
                "sub": f"{mine} managed by you",
                "url": f"/clients/list/?_flt_0_owner={user_id}",
            }
        )
    if sm.has_capability("can_read", "Contact"):
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Contact).where(Contact.archived_at.is_(None)))
        cards.append({"title": "Contacts", "count": total, "sub": "active", "url": "/contacts/list/"})
    return cards


def pipeline_panels() -> dict | None:
    """The analytics the API serves (the same functions), as chart bars; my open tasks; leads by
    status. A few GROUP BYs: nothing here grows with the number of deals on the page."""
    from app.crm import analytics

    sm = current_app.appbuilder.sm
    if not sm.has_capability("can_read", "Deal"):
        return None
    flt = analytics.DealFilter()
    summary = analytics.deal_summary(flt)
    funnel = analytics.deal_funnel(flt)
    panels: dict = {
        "summary": summary,
        "status_bars": bars(
            [(r["status"], r["count"], f"{r['count']:,} · {float(r['amount']):,.0f}") for r in summary["by_status"]],
            {"won": "bar bar-won", "lost": "bar bar-lost", "open": "bar bar-open"},
        ),
        "funnel_bars": bars(
            [
                (
                    s["stage"] if s["stage"] != "closed" else "won",
                    s["reached"],
                    f"{s['reached']:,}"
                    + (f" → {s['conversion_to_next']:.0%}" if s["conversion_to_next"] is not None else ""),
                )
                for s in funnel["stages"]
            ]
        ),
    }
    if sm.has_capability("can_read", "Lead"):
        panels["lead_bars"] = bars([(r["status"], r["count"], f"{r['count']:,}") for r in analytics.lead_counts()])
    if sm.has_capability("can_read", "Task"):
        panels["my_tasks"] = analytics.my_open_tasks(context.current_user_id())
    return panels


class OpsIndexView(IndexView):
    index_template = "opshub/dashboard.html"

    @expose("/")
    def index(self):
        if context.request_user() is None:
            return redirect(self.appbuilder.get_url_for_login)
        from app.core.tenancy import resolve_active_organization

        return self.render_template(
            self.index_template,
            appbuilder=self.appbuilder,
            cards=dashboard_cards(),
            pipeline=pipeline_panels(),
            today=date.today(),
            organization=resolve_active_organization(),
        )

"""The landing page after login: counts for the active organization."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, redirect
from flask_appbuilder import IndexView, expose

from app.core import context
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


class OpsIndexView(IndexView):
    index_template = "opshub/dashboard.html"

    @expose("/")
    def index(self):
        if context.request_user() is None:
            return redirect(self.appbuilder.get_url_for_login)
        from app.tenancy.services import resolve_active_organization

        return self.render_template(
            self.index_template,
            appbuilder=self.appbuilder,
            cards=dashboard_cards(),
            organization=resolve_active_organization(),
        )

"""The landing page after login: the dashboard widgets the installed domains declare, each shown
to the roles that hold its permission. Every widget is a few aggregate queries, never a table
scan that grows with the data on the page."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app, redirect
from flask_appbuilder import IndexView, expose

from app.core import context
from app.core.registry import registry
from app.core.tenancy import resolve_active_organization
from app.extensions import db


def visible_widgets() -> list[tuple[object, dict]]:
    sm = current_app.appbuilder.sm
    out = []
    for widget in registry.widgets():
        if widget.permission is not None and not sm.has_capability(*widget.permission):
            continue
        values = widget.context()
        if values is not None:
            out.append((widget, values))
    return out


def administrators() -> list:
    """Who can add a user to an organization: the global administrators (for someone who belongs
    to none yet, no organization's own admins can be named)."""
    from flask_appbuilder.security.sqla.models import Role, User

    admin = current_app.appbuilder.sm.auth_role_admin
    return list(
        db.session.scalars(
            sa.select(User).join(User.roles).where(Role.name == admin, User.active.is_(True)).order_by(User.first_name)
        ).unique()
    )


class OpsIndexView(IndexView):
    index_template = "opshub/dashboard.html"

    @expose("/")
    def index(self):
        if context.request_user() is None:
            return redirect(self.appbuilder.get_url_for_login)
        organization = resolve_active_organization()
        widgets = visible_widgets() if organization is not None else []
        return self.render_template(
            self.index_template,
            appbuilder=self.appbuilder,
            administrators=administrators() if organization is None else [],
            cards=[(w, v) for w, v in widgets if w.kind == "card"],
            panels=[(w, v) for w, v in widgets if w.kind != "card"],
            today=date.today(),
            organization=organization,
        )

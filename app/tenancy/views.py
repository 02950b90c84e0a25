"""The organization switcher in the page header."""

from __future__ import annotations

from flask import abort, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import no_cache

from app.core import context, tenancy


class OrgSwitchView(BaseView):
    route_base = "/org"
    default_view = "switch"
    base_permissions: list[str] = []

    @expose("/switch/<int:org_id>", methods=["POST"])
    @no_cache
    def switch(self, org_id: int):
        if context.request_user() is None:
            return redirect(self.appbuilder.get_url_for_login)
        allowed = {o.id for o in tenancy.organizations_for_switcher()}
        if org_id not in allowed:
            abort(404)
        session["org_id"] = org_id
        target = (
            request.referrer
            if request.referrer and "/show/" not in request.referrer and "/edit/" not in request.referrer
            else None
        )
        return redirect(target or url_for("OpsIndexView.index"))

"""The organization switcher in the page header."""

from __future__ import annotations

from flask import abort, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import no_cache

from app.core import context
from app.core.request_guard import local_target
from app.tenancy import services


class OrgSwitchView(BaseView):
    route_base = "/org"
    default_view = "switch"
    base_permissions: list[str] = []

    @expose("/switch/<int:org_id>", methods=["POST"])
    @no_cache
    def switch(self, org_id: int):
        if context.request_user() is None:
            return redirect(self.appbuilder.get_url_for_login)
        allowed = {o.id for o in services.organizations_for_switcher()}
        if org_id not in allowed:
            abort(404)
        session["org_id"] = org_id
        target = local_target(request.referrer)  # back where the switch was made, never off-site
        if target and ("/show/" in target or "/edit/" in target):
            target = None  # another organization's row would be a 404
        return redirect(target or url_for("OpsIndexView.index"))

"""Organization pages: the switcher in the page header, the members page (org admins), the
organizations page (global Admins)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, no_cache
from sqlalchemy.orm import joinedload

from app.core import context, tenancy
from app.core.context import UNSCOPED
from app.core.errors import DomainError, Invalid, NotFound
from app.core.request_guard import local_target
from app.core.tenancy import Membership, Organization
from app.extensions import db
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
        allowed = {o.id for o in tenancy.organizations_for_switcher()}
        if org_id not in allowed:
            abort(404)
        session["org_id"] = org_id
        target = local_target(request.referrer)  # back where the switch was made, never off-site
        if target and ("/show/" in target or "/edit/" in target):
            target = None  # another organization's row would be a 404
        return redirect(target or url_for("OpsIndexView.index"))


def _roles():
    """The roles a member may have (every role but Public), Admin first."""
    sm = current_app.appbuilder.sm
    roles = [r for r in sm.get_all_roles() if r.name not in ("Public", "NoAccess")]
    return sorted(roles, key=lambda r: (r.name != "Admin", r.name))


def _role(role_id: str):
    role = next((r for r in _roles() if str(r.id) == (role_id or "")), None)
    if role is None:
        raise Invalid("role: unknown", {"role": ["Choose a role."]})
    return role


class MembersView(BaseView):
    """The active organization's members: who they are and their role; org admins (can_write on
    Membership) add existing users, invite new ones, change roles and remove members."""

    route_base = "/organization/members"
    class_permission_name = "Membership"
    method_permission_name = {"list": "read", "add": "write", "invite": "write", "role": "write", "remove": "write"}
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    def _org(self):
        org = tenancy.resolve_active_organization()
        if org is None:
            abort(404)
        return org

    def _back(self):
        return redirect(url_for("MembersView.list"))

    @expose("/")
    @has_access
    def list(self):
        org = self._org()
        members = list(
            db.session.scalars(
                sa.select(Membership)
                .options(joinedload(Membership.user))
                .where(Membership.organization_id == org.id)
                .order_by(Membership.id)
            ).unique()
        )
        return self.render_template(
            "opshub/members.html",
            organization=org,
            members=sorted(members, key=lambda m: f"{m.user.first_name} {m.user.last_name}".lower()),
            roles=_roles(),
            can_manage=self.appbuilder.sm.has_access("can_write", "Membership"),
            me=context.current_user_id(),
        )

    def _do(self, change, done: str):
        try:
            change()
            flash(done() if callable(done) else done, "success")
        except DomainError as exc:
            db.session.rollback()
            details = " ".join(m for msgs in exc.fields.values() for m in msgs) if exc.fields else ""
            flash(f"{exc.message} {details}".strip() if exc.message == "Invalid input" else exc.message, "danger")
        return self._back()

    @expose("/add", methods=["POST"])
    @has_access
    def add(self):
        org = self._org()

        def change():
            user = services.find_user(request.form.get("who", ""))
            if user is None:
                raise NotFound("No user has that username or email. Invite them instead.")
            services.add_member(org.id, user.id, _role(request.form.get("role")).id)

        return self._do(change, "Member added.")

    @expose("/invite", methods=["POST"])
    @has_access
    def invite(self):
        org = self._org()
        made = {}

        def change():
            user, password = services.invite_member(
                org.id,
                username=request.form.get("username", ""),
                email=request.form.get("email", ""),
                first_name=request.form.get("first_name", ""),
                last_name=request.form.get("last_name", ""),
                role_id=_role(request.form.get("role")).id,
            )
            made.update(user=user, password=password)

        return self._do(
            change,
            lambda: (
                f"{made['user'].username} can now log in with the temporary password {made['password']} "
                "(shown once: hand it over; they change it on their profile page)."
            ),
        )

    @expose("/<int:user_id>/role", methods=["POST"])
    @has_access
    def role(self, user_id: int):
        org = self._org()

        def change():
            member = tenancy.membership_for(user_id, org.id) or abort(404)
            services.change_member_role(member, _role(request.form.get("role")).id)

        return self._do(change, "Role changed.")

    @expose("/<int:user_id>/remove", methods=["POST"])
    @has_access
    def remove(self, user_id: int):
        org = self._org()

        def change():
            member = tenancy.membership_for(user_id, org.id) or abort(404)
            services.remove_member(member)

        return self._do(change, "Member removed from the organization.")


class OrganizationsView(BaseView):
    """Global Admins create and rename organizations (the table is global: organization admins
    manage their members, not the list of organizations)."""

    route_base = "/organizations"
    class_permission_name = "OrganizationList"
    method_permission_name = {"list": "read", "create": "write", "rename": "write"}
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        orgs = list(db.session.scalars(sa.select(Organization).order_by(Organization.name)))
        counts = dict(
            db.session.execute(
                sa.select(Membership.organization_id, sa.func.count())
                .group_by(Membership.organization_id)
                .execution_options(**{UNSCOPED: True})
            ).all()
        )
        return self.render_template("opshub/organizations.html", organizations=orgs, counts=counts)

    def _do(self, change, done: str):
        try:
            change()
            flash(done, "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return redirect(url_for("OrganizationsView.list"))

    @expose("/create", methods=["POST"])
    @has_access
    def create(self):
        return self._do(lambda: services.create_organization(request.form.get("name", "")), "Organization created.")

    @expose("/<int:org_id>/rename", methods=["POST"])
    @has_access
    def rename(self, org_id: int):
        org = db.session.get(Organization, org_id) or abort(404)
        return self._do(
            lambda: services.rename_organization(org, request.form.get("name", "")), "Organization renamed."
        )

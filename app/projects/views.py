"""Generated pages for projects (with a Members tab) and instances."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.models import User
from markupsafe import Markup
from wtforms import BooleanField

from app.core.errors import DomainError
from app.core.fields import choice_field
from app.core.interface import OpsInterface
from app.core.tenancy import Membership
from app.core.views import VIEW_METHODS, OpsModelView
from app.extensions import db
from app.projects import services
from app.projects.columns import INSTANCE, PROJECT
from app.projects.models import INSTANCE_TYPES, Instance, Project, ProjectMember

TYPE_BADGES = {"PRODUCTION": "danger", "STAGING": "warning", "DEVELOPMENT": "info"}


def type_badge(value: str | None) -> Markup:
    css = TYPE_BADGES.get(value or "", "default")
    return Markup('<span class="label label-{}">{}</span>').format(css, value or "—")


def status_badge(status: str) -> Markup:
    if status == "live":
        return Markup('<span class="label label-success" title="The active PRODUCTION instance">LIVE</span>')
    return Markup('<span class="text-muted">{}</span>').format(status)


class InstanceView(OpsModelView):
    route_base = "/instances"
    class_permission_name = "Instance"
    datamodel = OpsInterface(Instance)
    columns = INSTANCE
    list_title = show_title = "Instances"
    add_title, edit_title = "Add instance", "Edit instance"
    formatters_columns = {"type": type_badge, "status": status_badge}
    add_form_extra_fields = {
        "type": choice_field("Type", choices=[(t, t.title()) for t in INSTANCE_TYPES], default="DEVELOPMENT"),
        # FAB would make a NOT NULL boolean "required", which refuses an unticked box
        "active": BooleanField("Active", default=True),
    }
    edit_form_extra_fields = add_form_extra_fields


class ProjectView(OpsModelView):
    route_base = "/projects"
    class_permission_name = "Project"
    datamodel = OpsInterface(Project)
    method_permission_name = {**VIEW_METHODS, "add_member": "write", "remove_member": "write"}
    show_template = "opshub/project_show.html"
    columns = PROJECT
    list_title = show_title = "Projects"
    add_title, edit_title = "Add project", "Edit project"
    related_views = [InstanceView]
    related_inline = True  # the instances under the project's details, not behind a tab

    def show_context(self, item: Project) -> dict:
        members = list(
            db.session.scalars(
                sa.select(ProjectMember).where(ProjectMember.project_id == item.id).order_by(ProjectMember.id)
            )
        )
        assigned = {m.user_id for m in members}
        candidates = [
            u
            for u in db.session.scalars(
                sa.select(User)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.organization_id == item.organization_id, User.active.is_(True))
                .order_by(User.username)
            )
            if u.id not in assigned
        ]
        return {
            "members": members,
            "member_candidates": candidates,
            "can_manage_members": self.appbuilder.sm.has_access("can_write", self.class_permission_name),
        }

    def _back(self, pk: int):
        return redirect(url_for("ProjectView.show", pk=pk, _anchor="Members"))

    @expose("/members/<int:pk>/add", methods=["POST"])
    @has_access
    def add_member(self, pk: int):
        project = self.record_or_404(pk)
        try:
            user_id = int(request.form.get("user_id", ""))
        except ValueError:
            flash("Choose a user to add.", "danger")
            return self._back(pk)
        try:
            member, created = services.add_member(project, user_id)
            flash(f"{member.user.username} added to the project." if created else "Already a member.", "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return self._back(pk)

    @expose("/members/<int:pk>/remove/<int:user_id>", methods=["POST"])
    @has_access
    def remove_member(self, pk: int, user_id: int):
        project = self.record_or_404(pk)
        try:
            services.remove_member(project, user_id)
            flash("Member removed from the project.", "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return self._back(pk)

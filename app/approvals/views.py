"""Approvals pages: the inbox (what waits for me, with what approving would change, and my own
requests), the list of every request with its filters, a request's page with its decision form,
and the policy page for administrators."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access

from app.approvals import columns, engine, policy, reading
from app.approvals.models import ApprovalRequest
from app.core import context
from app.core.errors import DomainError
from app.core.interface import OpsInterface
from app.core.registry import registry
from app.core.views import VIEW_METHODS, OpsModelView
from app.core.widgets import status_badge as badge_for
from app.extensions import db

STATUS_CSS = {
    "pending": "warning",
    "approved": "success",
    "rejected": "default",
    "cancelled": "default",
    "failed": "danger",
}
INBOX_LIMIT = 50


status_badge = badge_for(STATUS_CSS, "approval-status")


def target_url(req: ApprovalRequest) -> str | None:
    resource = registry.resource(req.resource)
    if resource is None or resource.view is None:
        return None
    return url_for(f"{resource.view.__name__}.show", pk=req.record_id)


def resource_label(name: str) -> str:
    resource = registry.resource(name)
    return resource.label if resource else name


class ApprovalRequestView(OpsModelView):
    route_base = "/approvals/requests"
    class_permission_name = "ApprovalRequest"
    datamodel = OpsInterface(ApprovalRequest)
    columns = columns.REQUEST
    list_title = show_title = "Approval requests"
    show_template = "approvals/request_show.html"
    # no forms: add/edit/delete map to a permission that does not exist, so no button offers them
    method_permission_name = {**VIEW_METHODS, "add": "none", "edit": "none", "delete": "none"}
    # made by calling a gated action, decided by approve/reject/cancel: no form of their own
    include_route_methods = {"list", "show", "do", "history", "lookup", "action", "action_post"}
    formatters_columns = {"status": status_badge}

    def show_context(self, item: ApprovalRequest) -> dict:
        return {
            "req": item,
            "target_url": target_url(item),
            "target_label": resource_label(item.resource),
            "preview": reading.preview(item) if item.status == "pending" else None,
            "may_decide": engine.may_decide(item),
            "may_cancel": item.status == "pending" and item.requester_id == context.current_user_id(),
            "deciders": policy.DECIDERS.get(item.resource, "an approver"),
            "status_badge": status_badge,
        }


class ApprovalInboxView(BaseView):
    """`/approvals/`: the pending requests I may decide, each with the target's current values
    and what approving would change; approve/reject with a comment; my own requests below."""

    route_base = "/approvals"
    class_permission_name = "ApprovalRequest"
    method_permission_name = {"index": "read"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        waiting = list(db.session.scalars(reading.waiting_for_me().limit(INBOX_LIMIT)))
        cards = [
            {
                "req": req,
                "target_url": target_url(req),
                "target_label": resource_label(req.resource),
                "preview": reading.preview(req),
            }
            for req in waiting
        ]
        mine = list(
            db.session.scalars(
                sa.select(ApprovalRequest)
                .where(ApprovalRequest.requester_id == context.current_user_id())
                .order_by(ApprovalRequest.id.desc())
                .limit(INBOX_LIMIT)
            )
        )
        return self.render_template(
            "approvals/inbox.html",
            cards=cards,
            mine=mine,
            status_badge=status_badge,
            target_url=target_url,
            resource_label=resource_label,
            may_decide_any=bool(reading.decidable_resources()),
        )


class ApprovalPolicyView(BaseView):
    """`/approvals/policy`: which declared actions need approval in this organization (admins)."""

    route_base = "/approvals/policy"
    class_permission_name = "ApprovalPolicy"
    method_permission_name = {"index": "read", "save": "write"}
    base_permissions = ["can_read", "can_write"]
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        entries = policy.policy()
        groups: dict[str, list[dict]] = {}
        for entry in entries:
            groups.setdefault(resource_label(entry["resource"]), []).append(entry)
        may_edit = self.appbuilder.sm.has_access("can_write", "ApprovalPolicy")
        return self.render_template("approvals/policy.html", groups=groups, may_edit=may_edit)

    @expose("/", methods=["POST"])
    @has_access
    def save(self):
        chosen = set(request.form.getlist("gated"))
        changes = [
            {
                "resource": e["resource"],
                "action": e["action"],
                "requires_approval": f"{e['resource']}.{e['action']}" in chosen,
            }
            for e in policy.policy()
        ]
        try:
            policy.set_policy(changes)
            flash("Approval policy saved.", "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return redirect(url_for("ApprovalPolicyView.index"))

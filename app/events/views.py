"""Contract and event pages: a contract's payments and an event's support are handled on their
own pages (the forms post to the declared actions' services); "Events without support" is a
list of its own."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterEqualFunction, FilterNotEqual
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.models import Role, User
from wtforms import SelectField

from app.core.errors import DomainError
from app.core.interface import OpsInterface
from app.core.money import currency_choices
from app.core.tenancy import Membership
from app.core.views import VIEW_METHODS, OpsModelView
from app.core.widgets import status_badge as badge_for
from app.events import columns, services
from app.events.models import SUPPORT_ROLE, Contract, ContractPayment, Event
from app.extensions import db

STATUS_CSS = {"unsigned": "warning", "signed": "info", "paid": "success"}


status_badge = badge_for(STATUS_CSS, "contract-status")


def _filter_index(view, column: str, kind: type) -> int:
    return next(i for i, f in enumerate(view._filters._all_filters[column]) if type(f) is kind)


class EventPages(OpsModelView):
    class_permission_name = "Event"
    datamodel = OpsInterface(Event)
    columns = columns.EVENT
    list_title = show_title = "Events"
    add_title, edit_title = "Add event", "Edit event"
    method_permission_name = {**VIEW_METHODS, "support_form": "read"}  # checks can_set_support itself
    show_template = "events/event_show.html"

    def show_context(self, item: Event) -> dict:
        may_assign = self.appbuilder.sm.has_access("can_set_support", "Event")
        candidates = []
        if may_assign:
            candidates = list(
                db.session.scalars(
                    sa.select(User)
                    .join(Membership, Membership.user_id == User.id)
                    .join(Role, Role.id == Membership.role_id)
                    .where(Membership.organization_id == item.organization_id, Role.name == SUPPORT_ROLE, User.active)
                    .order_by(User.username)
                )
            )
        return {"may_assign_support": may_assign, "support_candidates": candidates}

    @expose("/support/<int:pk>", methods=["POST"])
    @has_access
    def support_form(self, pk: int):
        event = self.record_or_404(pk)
        back = url_for(f"{type(self).__name__}.show", pk=pk)
        if not self.appbuilder.sm.has_access("can_set_support", "Event"):
            flash("Set support: your role may not do this.", "danger")
            return redirect(back)
        raw = request.form.get("user_id", "")
        user_id = int(raw) if raw.isdigit() else None
        try:
            services.set_support(event, user_id)
            flash(f"Support of “{event}”: {event.support.username if event.support else 'none'}.", "success")
        except DomainError as exc:
            db.session.rollback()
            flash(f"Set support: {exc.message}", "danger")
        return redirect(back)


class EventView(EventPages):
    route_base = "/events"


class UnassignedEventView(EventPages):
    """Events no support is assigned to yet (SPEC §8: the "no support" filter)."""

    route_base = "/events/unassigned"
    list_title = "Events without support"
    base_filters = [["support_id", FilterEqualFunction, lambda: None]]


class ContractView(OpsModelView):
    route_base = "/contracts"
    class_permission_name = "Contract"
    datamodel = OpsInterface(Contract)
    columns = columns.CONTRACT
    # Admin and Manager create contracts (can_create); a Commercial edits their own clients' ones
    method_permission_name = {**VIEW_METHODS, "add": "create", "payment_form": "read"}
    show_template = "events/contract_show.html"
    list_template = "events/contract_list.html"
    list_title = show_title = "Contracts"
    add_title, edit_title = "New contract", "Edit contract"
    formatters_columns = {"status": status_badge}
    add_form_extra_fields = {"currency": SelectField("Currency", choices=currency_choices(), default="EUR")}
    edit_form_extra_fields = add_form_extra_fields
    related_views = [EventView]

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            kwargs["not_signed_url"] = (
                f"{self.route_base}/list/?_flt_{_filter_index(self, 'status', FilterEqual)}_status=unsigned"
            )
            kwargs["not_paid_url"] = (
                f"{self.route_base}/list/?_flt_{_filter_index(self, 'status', FilterNotEqual)}_status=paid"
            )
        return super().render_template(template, **kwargs)

    def show_context(self, item: Contract) -> dict:
        from app.core import actions as record_actions
        from app.core.registry import registry

        act = registry.action("Contract", "add_payment")
        payments = db.session.scalars(
            sa.select(ContractPayment).where(ContractPayment.contract_id == item.id).order_by(ContractPayment.id)
        ).all()
        return {"payments": payments, "can_add_payment": record_actions.may("Contract", act, item)}

    @expose("/payments/<int:pk>", methods=["POST"])
    @has_access
    def payment_form(self, pk: int):
        contract = self.record_or_404(pk)
        back = url_for("ContractView.show", pk=pk)
        if not self.appbuilder.sm.has_access("can_add_payment", "Contract"):
            flash("Add payment: your role may not do this.", "danger")
            return redirect(back)
        try:
            services.add_contract_payment(contract, (request.form.get("amount") or "").strip())
            flash(f"Payment recorded; {contract.due_label} still due.", "success")
        except DomainError as exc:
            db.session.rollback()
            detail = "; ".join(" ".join(v) for v in exc.fields.values()) or exc.message
            flash(f"Add payment: {detail}", "danger")
        return redirect(back)

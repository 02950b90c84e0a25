"""Generated pages for clients, contacts, leads, deals and tasks. Columns come from
app/crm/columns.py; the record actions' buttons (move, close, convert, archive...) from their
declarations; every change goes through the same model rules and services as the API."""

from __future__ import annotations

from datetime import date

from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from markupsafe import Markup
from wtforms import BooleanField

from app.core import context
from app.core.fields import choice_field
from app.core.interface import OpsInterface
from app.core.money import currency_choices
from app.core.views import OpsModelView
from app.crm import columns
from app.crm.models import DEAL_STAGES, DEAL_STATUSES, LEAD_SOURCES, LEAD_STATUSES, Client, Contact, Deal, Lead, Task
from app.crm.timeline import client_timeline, deal_timeline

STAGE_CSS = {"qualification": "default", "proposal": "info", "negotiation": "primary", "closed": "default"}
STATUS_CSS = {
    "open": "info",
    "won": "success",
    "lost": "default",
    "new": "info",
    "contacted": "primary",
    "qualified": "success",
}


def badge(value: str | None, css: dict[str, str] = STATUS_CSS) -> Markup:
    return Markup('<span class="label label-{} badge-{}">{}</span>').format(
        css.get(value or "", "default"), value, value
    )


def due_badge(value: date | None) -> Markup:
    if value is None:
        return Markup('<span class="text-muted">—</span>')
    if value < date.today():
        return Markup('<span class="label label-danger overdue" title="Overdue">{} · overdue</span>').format(value)
    return Markup("{}").format(value)


def _choices(values) -> list[tuple[str, str]]:
    return [(v, v.title()) for v in values]


class TaskPages(OpsModelView):
    """What the task pages share. FAB finds a related view by isinstance(): "My tasks" must not
    be a TaskView, or it would show up as a second Tasks tab on clients and deals."""

    class_permission_name = "Task"
    datamodel = OpsInterface(Task)
    columns = columns.TASK
    list_title = show_title = "Tasks"
    add_title, edit_title = "Add task", "Edit task"
    formatters_columns = {"due_date": due_badge}
    add_form_extra_fields = {"done": BooleanField("Done", default=False)}
    edit_form_extra_fields = add_form_extra_fields


class TaskView(TaskPages):
    route_base = "/tasks"


class MyTaskView(TaskPages):
    """The current user's open tasks, soonest due first; overdue ones in red."""

    route_base = "/tasks/my"
    list_title = "My tasks"
    list_columns = ["title", "due_date", "client", "deal"]
    base_filters = [
        ["assignee_id", FilterEqualFunction, context.current_user_id],
        ["done", FilterEqualFunction, lambda: False],
    ]


class DealView(OpsModelView):
    route_base = "/deals"
    class_permission_name = "Deal"
    datamodel = OpsInterface(Deal)
    columns = columns.DEAL
    show_template = "opshub/deal_show.html"
    list_title = show_title = "Deals"
    add_title, edit_title = "Add deal", "Edit deal"
    formatters_columns = {"stage": lambda v: badge(v, STAGE_CSS), "status": badge}
    add_form_extra_fields = {
        "stage": choice_field("Stage", choices=_choices(DEAL_STAGES), default="qualification"),
        "status": choice_field("Status", choices=_choices(DEAL_STATUSES), default="open"),
        "currency": choice_field("Currency", choices=currency_choices(), default="EUR"),
    }
    edit_form_extra_fields = add_form_extra_fields
    related_views = [TaskView]

    def show_context(self, item: Deal) -> dict:
        return {
            "timeline": deal_timeline(item),
            "can_comment": self.appbuilder.sm.has_access("can_write", "Deal"),
        }


class LeadView(OpsModelView):
    route_base = "/leads"
    class_permission_name = "Lead"
    datamodel = OpsInterface(Lead)
    columns = columns.LEAD
    list_title = show_title = "Leads"
    add_title, edit_title = "Add lead", "Edit lead"
    formatters_columns = {"status": badge}
    add_form_extra_fields = {"source": choice_field("Source", choices=[("", "—"), *_choices(LEAD_SOURCES)])}
    edit_form_extra_fields = {
        **add_form_extra_fields,
        "status": choice_field("Status", choices=_choices(LEAD_STATUSES)),
    }


class ContactView(OpsModelView):
    route_base = "/contacts"
    class_permission_name = "Contact"
    datamodel = OpsInterface(Contact)
    columns = columns.CONTACT
    list_title = show_title = "Contacts"
    add_title, edit_title = "Add contact", "Edit contact"


class ClientView(OpsModelView):
    route_base = "/clients"
    class_permission_name = "Client"
    datamodel = OpsInterface(Client)
    columns = columns.CLIENT
    list_title = show_title = "Clients"
    add_title, edit_title = "Add client", "Edit client"
    related_views = [ContactView, DealView, TaskView]  # other domains add theirs (projects)
    show_template = "opshub/client_show.html"

    def show_context(self, item: Client) -> dict:
        return {"timeline": client_timeline(item)}

"""Generated pages for clients and contacts."""

from __future__ import annotations

from app.core.interface import OpsInterface
from app.core.views import OpsModelView
from app.crm.models import Client, Contact
from app.crm.pipeline_views import DealView, TaskView
from app.crm.timeline import client_timeline
from app.projects.views import ProjectView


class ContactView(OpsModelView):
    route_base = "/contacts"
    class_permission_name = "Contact"
    datamodel = OpsInterface(Contact)
    list_title = show_title = "Contacts"
    add_title, edit_title = "Add contact", "Edit contact"
    list_columns = ["first_name", "last_name", "email", "phone", "title", "client"]
    show_columns = [
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        "client",
        "version",
        "created_at",
        "updated_at",
    ]
    add_columns = ["first_name", "last_name", "email", "phone", "title", "client"]
    edit_columns = add_columns
    search_columns = ["first_name", "last_name", "email", "client"]
    order_columns = ["first_name", "last_name", "email"]
    base_order = ("last_name", "asc")


class ClientView(OpsModelView):
    route_base = "/clients"
    class_permission_name = "Client"
    datamodel = OpsInterface(Client)
    list_title = show_title = "Clients"
    add_title, edit_title = "Add client", "Edit client"
    list_columns = ["name", "email", "phone", "owner", "tags"]
    show_columns = [
        "name",
        "email",
        "phone",
        "website",
        "address",
        "owner",
        "tags",
        "notes",
        "version",
        "created_at",
        "updated_at",
    ]
    add_columns = ["name", "email", "phone", "website", "address", "owner", "tags", "notes"]
    edit_columns = add_columns
    search_columns = ["name", "email", "phone", "tags", "owner"]
    order_columns = ["name", "email", "phone"]
    base_order = ("name", "asc")
    related_views = [ContactView, DealView, TaskView, ProjectView]  # projects: only those the user may see
    description_columns = {"owner": "The account manager responsible for this client."}
    show_template = "opshub/client_show.html"

    def show_context(self, item: Client) -> dict:
        return {"timeline": client_timeline(item)}

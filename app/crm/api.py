"""REST resources /api/v1/clients/ and /api/v1/contacts/."""

from __future__ import annotations

from app.core.api import OpsModelRestApi
from app.core.interface import OpsInterface
from app.crm.filters import OwnedByMe
from app.crm.models import Client, Contact


class ClientApi(OpsModelRestApi):
    resource_name = "clients"
    class_permission_name = "Client"
    datamodel = OpsInterface(Client)
    list_columns = [
        "id",
        "name",
        "email",
        "phone",
        "website",
        "owner.id",
        "owner.username",
        "tags",
        "archived_at",
        "version",
        "updated_at",
    ]
    show_columns = [
        "id",
        "name",
        "email",
        "phone",
        "website",
        "address",
        "owner.id",
        "owner.username",
        "tags",
        "notes",
        "archived_at",
        "version",
        "created_at",
        "updated_at",
    ]
    add_columns = ["name", "email", "phone", "website", "address", "owner", "tags", "notes"]
    edit_columns = add_columns
    search_columns = ["name", "email", "phone", "tags", "owner", "archived_at"]
    order_columns = ["id", "name", "email", "updated_at"]
    base_order = ("name", "asc")
    search_filters = {"owner": [OwnedByMe]}


class ContactApi(OpsModelRestApi):
    resource_name = "contacts"
    class_permission_name = "Contact"
    datamodel = OpsInterface(Contact)
    list_columns = [
        "id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        "client.id",
        "client.name",
        "archived_at",
        "version",
    ]
    show_columns = [
        "id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        "client.id",
        "client.name",
        "archived_at",
        "version",
        "created_at",
        "updated_at",
    ]
    add_columns = ["first_name", "last_name", "email", "phone", "title", "client"]
    edit_columns = add_columns
    search_columns = ["first_name", "last_name", "email", "client", "archived_at"]
    order_columns = ["id", "first_name", "last_name", "email"]
    base_order = ("last_name", "asc")

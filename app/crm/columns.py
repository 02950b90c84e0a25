"""The CRM resources' columns: one spec each, read by the page and the API."""

from __future__ import annotations

from app.core.columns import Columns

CLIENT = Columns(
    list=("name", "email", "phone", "website", "owner", "tags"),
    show=("name", "email", "phone", "website", "address", "owner", "tags", "notes"),
    form=("name", "email", "phone", "website", "address", "owner", "tags", "notes"),
    search=("name", "email", "phone", "tags", "owner"),
    order=("name", "email", "phone", "owner", "updated_at"),
    base_order=("name", "asc"),
    descriptions={"owner": "The account manager responsible for this client."},
    quick=("name", "email", "tags"),
    duplicates=("name", "email"),
)

CONTACT = Columns(
    list=("first_name", "last_name", "email", "phone", "title", "client"),
    show=("first_name", "last_name", "email", "phone", "title", "client"),
    form=("first_name", "last_name", "email", "phone", "title", "client"),
    search=("first_name", "last_name", "email", "client"),
    order=("first_name", "last_name", "email", "client"),
    base_order=("last_name", "asc"),
    quick=("first_name", "last_name", "email"),
    duplicates=("email",),
)

LEAD = Columns(
    list=("name", "company", "email", "source", "status", "owner"),
    show=("name", "company", "email", "phone", "source", "status", "owner", "notes", "client", "converted_at"),
    form=("name", "company", "email", "phone", "source", "owner", "notes"),  # a lead starts as new
    edit=("name", "company", "email", "phone", "source", "status", "owner", "notes"),
    search=("name", "company", "email", "source", "status", "owner"),
    order=("name", "company", "status", "owner", "updated_at"),
    base_order=("name", "asc"),
    labels={"client": "Converted into", "converted_at": "Converted"},
    quick=("name", "company", "email"),
    duplicates=("email",),
    descriptions={"status": "new → contacted → qualified or lost; taking a lost lead back is for managers."},
)

DEAL = Columns(
    list=("title", "client", "owner", "amount", "currency", "stage", "status", "expected_close_date"),
    show=(
        "title",
        "client",
        "contact",
        "owner",
        "amount",
        "currency",
        "stage",
        "status",
        "furthest_stage",
        "expected_close_date",
        "closed_at",
    ),
    form=("title", "client", "contact", "owner", "amount", "currency", "stage", "status", "expected_close_date"),
    search=("title", "client", "contact", "owner", "stage", "status", "amount", "expected_close_date"),
    order=("title", "client", "owner", "amount", "stage", "status", "expected_close_date", "updated_at"),
    base_order=("title", "asc"),
    labels={"amount": "Amount", "expected_close_date": "Expected close", "furthest_stage": "Furthest stage"},
    descriptions={
        "stage": "Moving a deal back a stage is for managers.",
        "status": "Closing as won needs an amount greater than 0; a closed deal is in the closed stage.",
    },
    shown_as={"amount": "amount_label"},
    quick=("title",),
    api_only=frozenset({"currency", "furthest_stage"}),
)

TASK = Columns(
    list=("title", "due_date", "done", "assignee", "client", "deal"),
    show=("title", "due_date", "done", "assignee", "client", "deal", "notes"),
    form=("title", "due_date", "assignee", "client", "deal", "notes", "done"),
    search=("title", "due_date", "done", "assignee", "client", "deal"),
    order=("title", "due_date", "assignee", "client", "updated_at"),
    base_order=("due_date", "asc"),
    labels={"due_date": "Due"},
    quick=("title",),
)

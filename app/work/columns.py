"""The work domain's columns: one spec per resource, read by its page and its API."""

from __future__ import annotations

from app.core.columns import Columns

BANK = Columns(
    list=("name", "account_details"),
    show=("name", "account_details", "invoice_notes"),
    form=("name", "account_details", "invoice_notes"),
    search=("name",),
    order=("name", "updated_at"),
    base_order=("name", "asc"),
    labels={"invoice_notes": "Invoice notes"},
    descriptions={"invoice_notes": "Printed on the invoices generated for this bank's assignments."},
    quick=("name",),
    duplicates=("name",),
)

BRANCH = Columns(
    list=("name", "city", "bank"),
    show=("name", "city", "bank"),
    form=("bank", "name", "city"),
    search=("name", "city", "bank"),
    order=("name", "city", "bank", "updated_at"),
    base_order=("name", "asc"),
    quick=("name", "city"),
)

PROPERTY_TYPE = Columns(
    list=("name",),
    show=("name",),
    form=("name",),
    search=("name",),
    order=("name", "updated_at"),
    base_order=("name", "asc"),
    quick=("name",),
    duplicates=("name",),
)

ASSIGNMENT = Columns(
    list=("code", "client", "bank", "property_type", "assignee", "due_date", "status", "fee", "currency"),
    show=(
        "code",
        "status",
        "client",
        "bank",
        "branch",
        "property_type",
        "address",
        "assignee",
        "due_date",
        "fee",
        "currency",
        "notes",
    ),
    # the assignee changes only through `reassign` (its own permission, which approvals may gate)
    form=("client", "bank", "branch", "property_type", "address", "assignee", "due_date", "fee", "currency", "notes"),
    edit=("client", "bank", "branch", "property_type", "address", "due_date", "fee", "currency", "notes"),
    search=("code", "client", "bank", "property_type", "assignee", "status", "due_date", "address"),
    order=("code", "client", "bank", "assignee", "due_date", "status", "fee", "updated_at"),
    base_order=("code", "desc"),
    labels={"code": "Code", "status": "Status", "property_type": "Property type", "due_date": "Due", "fee": "Fee"},
    descriptions={
        "branch": "A branch of the chosen bank.",
        "assignee": "Changed afterwards with Reassign.",
        "fee": "Invoiced when the invoice is generated.",
    },
    shown_as={"fee": "fee_label", "status": "status_label"},
    quick=("code", "address"),
    api_only=frozenset({"currency"}),
)

CALENDAR_EVENT = Columns(
    list=("title", "type", "start", "end", "user", "assignment", "source"),
    show=("title", "type", "start", "end", "all_day", "user", "assignment", "location", "notes", "source"),
    form=("title", "type", "start", "end", "all_day", "user", "assignment", "location", "notes"),
    search=("title", "type", "start", "user", "assignment", "source"),
    order=("title", "type", "start", "user", "updated_at"),
    base_order=("start", "desc"),
    labels={"all_day": "All day", "user": "Person", "source": "From"},
    descriptions={
        "user": "Whose calendar (you, if left empty).",
        "source": "manual, or the assignment or leave request this entry follows.",
    },
    quick=("title",),
)

LEAVE_REQUEST = Columns(
    list=("user", "start_date", "end_date", "reason", "status", "decided_by"),
    show=("user", "start_date", "end_date", "reason", "status", "decided_by", "decided_at"),
    form=("start_date", "end_date", "reason"),
    search=("user", "status", "start_date", "end_date"),
    order=("user", "start_date", "end_date", "status", "updated_at"),
    base_order=("start_date", "desc"),
    labels={"start_date": "From", "end_date": "To", "user": "Person", "decided_by": "Decided by"},
    descriptions={"end_date": "The last day of leave (included)."},
    quick=("reason",),
)

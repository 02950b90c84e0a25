"""Projects' and instances' columns: one spec each, read by the page and the API."""

from __future__ import annotations

from app.core.columns import Columns
from app.projects.models import Project

PROJECT = Columns(
    list=("name", "client", "member_count"),
    show=("name", "client", "description", "member_count"),
    form=("name", "client", "description"),
    search=("name", "client"),
    order=("name", "client", "updated_at"),
    base_order=("name", "asc"),
    labels={"member_count": "Members"},
    quick=("name",),
    computed={"member_count": Project.member_count_expr},
)

INSTANCE = Columns(
    list=("name", "type", "status", "project", "odoo_version", "url", "active"),
    show=("name", "type", "status", "project", "url", "odoo_version", "active"),
    form=("name", "type", "project", "url", "odoo_version", "active"),
    search=("name", "type", "odoo_version", "active", "project"),
    order=("name", "type", "project", "odoo_version", "updated_at"),
    base_order=("name", "asc"),
    labels={"odoo_version": "Odoo version", "url": "URL", "status": "Status"},
    descriptions={
        "active": "At most one active PRODUCTION instance per project.",
        "odoo_version": "For example 17.0",
    },
    page_only=frozenset({"status"}),
    quick=("name", "url"),
    api_only=frozenset({"active"}),
)

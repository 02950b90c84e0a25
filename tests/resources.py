"""Declarations for the generic per-resource tests (the NetBox pattern): each resource only
declares its model, URL and sample data; test_permissions / test_tenancy / test_bad_input
apply the same checks to all of them. Later domains append here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.crm.models import Client, Contact
from app.projects.models import Instance, Project
from tests import factories as f


@dataclass
class Resource:
    name: str  # URL segment under /api/v1/
    model: type
    permission: str  # FAB class_permission_name
    make: Callable  # (org, owner) -> committed row
    payload: Callable  # (org, owner) -> JSON body for POST
    change: dict  # a valid partial update
    page: str  # page route base
    writer: str = "Staff"  # a role that may create and edit it by default


def _contact_payload(org, owner):
    client = f.make_client(org, owner)
    return {"first_name": "Ana", "last_name": "Lima", "email": "ana@example.com", "client": client.id}


def _members(owner):
    return [owner] if owner is not None else []


def _instance_payload(org, owner):
    project = f.make_project(org, _members(owner))
    return {"name": f.unique("posted-"), "type": "STAGING", "project": project.id, "url": "https://x.example"}


RESOURCES = [
    Resource(
        name="clients",
        model=Client,
        permission="Client",
        make=lambda org, owner: f.make_client(org, owner),
        payload=lambda org, owner: {"name": f.unique("Posted "), "email": "p@example.com"},
        change={"phone": "+1 555 0199"},
        page="/clients",
    ),
    Resource(
        name="contacts",
        model=Contact,
        permission="Contact",
        make=lambda org, owner: f.make_contact(f.make_client(org, owner)),
        payload=_contact_payload,
        change={"title": "Head of Ops"},
        page="/contacts",
    ),
    # `make` assigns the user to the project: roles without can_edit_all see assigned ones only
    Resource(
        name="projects",
        model=Project,
        permission="Project",
        make=lambda org, owner: f.make_project(org, _members(owner)),
        payload=lambda org, owner: {"name": f.unique("Posted project "), "client": f.make_client(org).id},
        change={"description": "Phase two"},
        page="/projects",
        writer="Manager",
    ),
    Resource(
        name="instances",
        model=Instance,
        permission="Instance",
        make=lambda org, owner: f.make_instance(f.make_project(org, _members(owner))),
        payload=_instance_payload,
        change={"odoo_version": "18.0"},
        page="/instances",
        writer="Manager",
    ),
]
IDS = [r.name for r in RESOURCES]

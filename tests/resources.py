"""Declarations for the generic per-resource tests (the NetBox pattern): each resource only
declares its model, URL and sample data; test_permissions / test_tenancy / test_bad_input
apply the same checks to all of them. Later domains append here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.crm.models import Client, Contact, Deal, Lead, Task
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
    # leads and deals: roles without can_edit_all (Staff) write only the ones they own
    Resource(
        name="leads",
        model=Lead,
        permission="Lead",
        make=lambda org, owner: f.make_lead(org, owner),
        payload=lambda org, owner: {"name": f.unique("Posted lead "), "company": "Posted Co", "source": "web"},
        change={"phone": "+1 555 0142"},
        page="/leads",
    ),
    Resource(
        name="deals",
        model=Deal,
        permission="Deal",
        make=lambda org, owner: f.make_deal(org, owner),
        payload=lambda org, owner: {"title": f.unique("Posted deal "), "client": f.make_client(org, owner).id},
        change={"expected_close_date": "2031-03-31"},
        page="/deals",
    ),
    Resource(
        name="tasks",
        model=Task,
        permission="Task",
        make=lambda org, owner: f.make_task(org, owner),
        payload=lambda org, owner: {"title": f.unique("Posted task "), "due_date": "2031-01-15"},
        change={"done": True},
        page="/tasks",
    ),
]
IDS = [r.name for r in RESOURCES]

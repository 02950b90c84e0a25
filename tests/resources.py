"""Declarations for the generic per-resource tests (the NetBox pattern): each resource only
declares its model, URL and sample data; test_permissions / test_tenancy / test_bad_input
apply the same checks to all of them. Later domains append here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.crm.models import Client, Contact
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


def _contact_payload(org, owner):
    client = f.make_client(org, owner)
    return {"first_name": "Ana", "last_name": "Lima", "email": "ana@example.com", "client": client.id}


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
]
IDS = [r.name for r in RESOURCES]

"""Pipeline services: the transitions of leads and deals, lead conversion, comments.

The rules live on the models and their lifecycles (`LEAD_STATUS`, `DEAL_STATUS`, `DEAL_STAGE`,
`Deal.validate`) and run at every flush, so a plain PUT, a page form, a revert, the board, the
CLI and the seed all meet the same rules and write the same activities. These functions are the
named entry points: each is one unit of work (joining the caller's, if any), and takes the
acting user explicitly where the caller is not the request's user (`actor=`).
"""

from __future__ import annotations

from typing import Any

from app.core import context
from app.core.errors import Conflict, Forbidden, invalid
from app.core.history import plain
from app.core.money import check_amount
from app.core.scope import capability
from app.core.uow import unit_of_work
from app.crm.models import (
    DEAL_STAGE,
    DEAL_STATUS,
    DEAL_STATUSES,
    LEAD_STATUS,
    Activity,
    Client,
    Contact,
    Deal,
    Lead,
    _one_of,
)


def move_deal(deal: Deal, stage: object, *, actor: Any = None) -> Deal:
    """Move a deal to another stage. Forward (skipping stages too) is allowed; back needs the
    right to roll back; `closed` is reached by closing (won or lost), not by a move."""
    _one_of("stage", stage if isinstance(stage, str) else None, DEAL_STAGE.states)
    if stage == "closed":
        raise invalid("stage", "Close a deal as won or lost instead of moving it to closed.")
    return DEAL_STAGE.transition(deal, stage, actor=actor)


def close_deal(deal: Deal, status: object, *, actor: Any = None) -> Deal:
    """Close a deal as won (amount > 0) or lost; it moves to the closed stage."""
    if status not in ("won", "lost"):
        _one_of("status", status if isinstance(status, str) else None, DEAL_STATUSES)
        raise invalid("status", "Close a deal as won or lost.")
    return DEAL_STATUS.transition(deal, status, actor=actor)


def set_lead_status(lead: Lead, status: object, *, actor: Any = None) -> Lead:
    return LEAD_STATUS.transition(lead, status, actor=actor)


def add_comment(body: object, *, deal: Deal | None = None, client: Client | None = None, actor: Any = None) -> Activity:
    if not isinstance(body, str) or not body.strip():
        raise invalid("body", "Write a comment.")
    with unit_of_work(actor=actor) as session:
        activity = Activity(
            kind="comment",
            body=body.strip(),
            deal_id=deal.id if deal else None,
            client_id=(deal.client_id if deal else client.id if client else None),
        )
        session.add(activity)
    return activity


def activity_dict(activity: Activity, username: str | None = None) -> dict:
    if username is None and activity.created_by_id is not None:
        from flask_appbuilder.security.sqla.models import User

        from app.extensions import db

        user = db.session.get(User, activity.created_by_id)
        username = user.username if user else None
    return {
        "id": activity.id,
        "kind": activity.kind,
        "body": activity.body,
        "author": username,
        "created_at": plain(activity.created_at),
        "deal_id": activity.deal_id,
        "client_id": activity.client_id,
        "lead_id": activity.lead_id,
    }


def _split_name(name: str) -> tuple[str, str]:
    parts = name.strip().rsplit(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0], parts[0])


CONVERT_CREATES = {"Client": "clients", "Contact": "contacts", "Deal": "deals"}


def convert_lead(lead: Lead, *, deal_title: object = None, amount: object = None, actor: Any = None) -> Deal:
    """A qualified lead becomes a client, its contact and an open deal, in one versioned
    transaction (409 if the lead is not qualified or was converted already)."""
    with unit_of_work(actor=actor) as session:
        missing = [label for r, label in CONVERT_CREATES.items() if not capability("can_write", r)]
        if missing:
            what = ", ".join(missing)
            raise Forbidden(f"Converting a lead creates a client, a contact and a deal; you may not create {what}.")
        if lead.converted_at is not None:
            raise Conflict("This lead was already converted.")
        if lead.status != "qualified":
            raise Conflict(f"Only a qualified lead can be converted; this one is {lead.status}.")
        if deal_title is not None and not (isinstance(deal_title, str) and deal_title.strip()):
            raise invalid("deal_title", "Must be a non-empty text.")
        value = check_amount(0 if amount is None or amount == "" else amount)
        owner_id = lead.owner_id or context.current_user_id()
        client = Client(name=lead.company or lead.name, email=lead.email, phone=lead.phone, owner_id=owner_id)
        first, last = _split_name(lead.name)
        contact = Contact(first_name=first, last_name=last, email=lead.email, phone=lead.phone, client=client)
        deal = Deal(
            title=(deal_title or "").strip() or f"{lead.company or lead.name} — first deal",
            client=client,
            contact=contact,
            owner_id=owner_id,
            amount=value,
            lead=lead,
        )
        session.add_all([client, contact, deal])
        session.flush()
        lead.client_id = client.id
        lead.converted_at = client.created_at
        session.add(
            Activity(
                kind="system",
                body=f"Converted from lead {lead.name}",
                client_id=client.id,
                deal_id=deal.id,
                lead_id=lead.id,
            )
        )
    return deal

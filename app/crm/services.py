"""Pipeline services: the transitions of leads and deals, lead conversion, comments.

The rules themselves live on the models (`Lead.check_rules`, `Deal.validate`/`check_rules`) and
run at every flush, so a plain PUT, a page form, a revert, the board, the CLI and the seed all
meet the same rules and write the same activities. These functions are the named entry points:
they set the fields and commit one versioned transaction, or raise and write nothing.
"""

from __future__ import annotations

from app.core import context
from app.core.errors import Conflict, Forbidden, invalid
from app.core.scope import capability
from app.core.uow import unit_of_work
from app.crm.models import (
    DEAL_STAGES,
    DEAL_STATUSES,
    LEAD_STATUSES,
    Activity,
    Client,
    Contact,
    Deal,
    Lead,
    _one_of,
    check_amount,
)


def move_deal(deal: Deal, stage: object) -> Deal:
    """Move a deal to another stage. Forward (skipping stages too) is allowed; back needs
    can_rollback_stage; `closed` is reached by closing (won or lost), not by a move."""
    _one_of("stage", stage if isinstance(stage, str) else None, DEAL_STAGES)
    if stage == "closed":
        raise invalid("stage", "Close a deal as won or lost instead of moving it to closed.")
    if stage == deal.stage:
        return deal
    with unit_of_work():
        deal.stage = stage
    return deal


def close_deal(deal: Deal, status: object) -> Deal:
    """Close a deal as won (amount > 0) or lost; it moves to the closed stage."""
    if status not in ("won", "lost"):
        _one_of("status", status if isinstance(status, str) else None, DEAL_STATUSES)
        raise invalid("status", "Close a deal as won or lost.")
    if deal.status == status:
        return deal
    with unit_of_work():
        deal.status = status
    return deal


def set_lead_status(lead: Lead, status: object) -> Lead:
    _one_of("status", status if isinstance(status, str) else None, LEAD_STATUSES)
    if status == lead.status:
        return lead
    with unit_of_work():
        lead.status = status
    return lead


def add_comment(body: object, *, deal: Deal | None = None, client: Client | None = None) -> Activity:
    if not isinstance(body, str) or not body.strip():
        raise invalid("body", "Write a comment.")
    with unit_of_work() as session:
        activity = Activity(
            kind="comment",
            body=body.strip(),
            deal_id=deal.id if deal else None,
            client_id=(deal.client_id if deal else client.id if client else None),
        )
        session.add(activity)
    return activity


def _split_name(name: str) -> tuple[str, str]:
    parts = name.strip().rsplit(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0], parts[0])


def convert_lead(lead: Lead, *, deal_title: object = None, amount: object = None) -> Deal:
    """A qualified lead becomes a client, its contact and an open deal, in one versioned
    transaction (409 if the lead is not qualified or was converted already)."""
    missing = [r for r in ("Client", "Contact", "Deal") if not capability("can_write", r)]
    if missing:
        raise Forbidden(
            f"Converting a lead creates a client, a contact and a deal: it needs can_write on {', '.join(missing)}."
        )
    if lead.converted_at is not None:
        raise Conflict("This lead was already converted.")
    if lead.status != "qualified":
        raise Conflict(f"Only a qualified lead can be converted; this one is {lead.status}.")
    if deal_title is not None and not (isinstance(deal_title, str) and deal_title.strip()):
        raise invalid("deal_title", "Must be a non-empty text.")
    value = check_amount(0 if amount is None or amount == "" else amount)
    owner_id = lead.owner_id or context.current_user_id()
    with unit_of_work() as session:
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

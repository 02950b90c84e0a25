"""Contract and event services: sign, add a payment, assign an event's support. Each is one
unit of work (joining the caller's), with `actor=` for work done on someone's behalf; the rules
are the models' (app/events/models.py) and run at every flush."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.core.errors import Conflict, invalid, valid_id
from app.core.models import utcnow
from app.core.uow import unit_of_work
from app.events.models import Contract, ContractPayment, Event, lock_contract


def sign_contract(contract: Contract, *, actor: Any = None) -> Contract:
    """Sign a contract (409 if it is signed already)."""
    with unit_of_work(actor=actor) as session:
        lock_contract(session, contract)
        if contract.signed_at is not None:
            raise Conflict(f"“{contract}” was already signed on {contract.signed_at:%Y-%m-%d}.")
        contract.signed_at = utcnow()
    return contract


def add_contract_payment(
    contract: Contract, amount: object, *, date: date | None = None, actor: Any = None
) -> ContractPayment:
    """A payment on a contract: > 0 and never more than is due (422), its row locked first."""
    with unit_of_work(actor=actor) as session:
        payment = ContractPayment(contract=contract, amount=amount, date=date)
        session.add(payment)
    return payment


def set_support(event: Event, user_id: object, *, actor: Any = None) -> Event:
    """Assign (or, with None, unassign) the event's support: a Support user of the organization."""
    if user_id is not None and not valid_id(user_id):
        raise invalid("user_id", "Not a valid id.")
    with unit_of_work(actor=actor):
        event.support_id = user_id
    return event

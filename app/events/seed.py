"""The event company's demo data: contracts signed and unsigned (some paid, some partly), and
events with and without support — the demo `commercial` owns Stark Logistics and Hooli, the demo
`support` runs two events. Written through the services."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.core.seed import SeedContext
from app.core.uow import unit_of_work
from app.crm.models import Client
from app.events import services
from app.events.models import Contract, Event
from app.extensions import db

# (client, reference, total, signed, paid)
DEMO_CONTRACTS = [
    ("Stark Logistics", "EV-2026-001 Stark summer party", "18000", True, "18000"),
    ("Stark Logistics", "EV-2026-002 Stark logistics summit", "42000", True, "15000"),
    ("Hooli", "EV-2026-003 Hooli product launch", "65000", True, "0"),
    ("Hooli", "EV-2026-004 Hooli offsite", "12500", False, "0"),
    ("Acme Corporation", "EV-2026-005 Acme anniversary gala", "30000", True, "30000"),
    ("Umbrella Health", "EV-2026-006 Umbrella conference", "22000", False, "5000"),
]
# (contract reference, name, days from now, hours, location, attendees, support username or None)
DEMO_EVENTS = [
    ("EV-2026-001 Stark summer party", "Stark summer party", 20, 6, "Lakeside Pavilion", 180, "support"),
    ("EV-2026-002 Stark logistics summit", "Summit day 1", 45, 9, "Expo Hall B", 420, "support"),
    ("EV-2026-002 Stark logistics summit", "Summit day 2", 46, 8, "Expo Hall B", 380, None),
    ("EV-2026-003 Hooli product launch", "Hooli launch night", 60, 5, "Pier 39 Warehouse", 600, None),
    ("EV-2026-005 Acme anniversary gala", "Acme gala dinner", -10, 5, "Grand Hotel ballroom", 250, None),
]


def seed(ctx: SeedContext) -> None:
    if ctx.count(Contract) == 0:
        _seed(ctx)


def _seed(ctx: SeedContext) -> None:
    clients = {c.name: c for c in db.session.scalars(sa.select(Client).where(Client.organization_id == ctx.org.id))}
    contracts = {}
    for client_name, reference, total, signed, paid in DEMO_CONTRACTS:
        client = clients.get(client_name)
        if client is None:
            continue
        with ctx.as_user("manager"), unit_of_work() as s:
            contract = Contract(client_id=client.id, reference=reference, total_amount=Decimal(total))
            s.add(contract)
        with ctx.as_user("commercial" if client.owner_id == ctx.users["commercial"].id else "manager"):
            if signed:
                services.sign_contract(contract)
            if Decimal(paid):
                services.add_contract_payment(contract, Decimal(paid))
        contracts[reference] = contract
    today = datetime.combine(datetime.utcnow().date(), time(18, 0))
    for reference, name, days, hours, location, attendees, support in DEMO_EVENTS:
        contract = contracts.get(reference)
        if contract is None:
            continue
        start = today + timedelta(days=days)
        with ctx.as_user("commercial" if contract.client.owner_id == ctx.users["commercial"].id else "manager"):
            with unit_of_work() as s:
                event = Event(
                    contract_id=contract.id,
                    name=name,
                    start=start,
                    end=start + timedelta(hours=hours),
                    location=location,
                    attendees=attendees,
                    notes="Catering for all guests; stage and sound on site." if attendees > 300 else None,
                )
                s.add(event)
        if support:
            with ctx.as_user("manager"):
                services.set_support(event, ctx.users[support].id)

"""The CRM's demo data: clients with contacts, and a pipeline whose leads and deals were moved
through the services (their activities, history and audit rows are the real ones); and the
scale loaders `clients` and `deals` for the benchmarks."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from app.core import bulk
from app.core.seed import SeedContext
from app.core.tenancy import Organization
from app.core.uow import unit_of_work
from app.crm import services as crm
from app.crm.models import DEAL_STAGES, OPEN_STAGES, Client, Contact, Deal, Lead, Task
from app.extensions import db

DEMO_CLIENTS = [
    (
        "Acme Corporation",
        "contact@acme.example",
        "+1 555 0100",
        "https://acme.example",
        "manager",
        "enterprise,priority",
    ),
    ("Globex Industries", "hello@globex.example", "+1 555 0101", "https://globex.example", "staff", "manufacturing"),
    ("Initech", "info@initech.example", "+1 555 0102", "https://initech.example", "staff", "software"),
    ("Umbrella Health", "ops@umbrella.example", "+44 20 7946 0000", "https://umbrella.example", "manager", "health"),
    ("Stark Logistics", "desk@stark.example", "+1 555 0104", "https://stark.example", "commercial", "logistics"),
    ("Wayne Foundation", "grants@wayne.example", "+1 555 0105", None, "manager", "non-profit"),
    ("Soylent Foods", "orders@soylent.example", "+1 555 0106", "https://soylent.example", "staff", "food"),
    ("Hooli", "partners@hooli.example", "+1 555 0107", "https://hooli.example", "commercial", "software,priority"),
]
FIRST = ["Alice", "Bob", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas"]
LAST = ["Martin", "Okafor", "Schmidt", "Tanaka", "Rossi", "Novak", "Silva", "Dubois", "Khan", "Berg"]


def seed(ctx: SeedContext) -> None:
    org, users, rng = ctx.org, ctx.users, ctx.rng
    if ctx.count(Client) == 0:
        with ctx.as_user("admin"), unit_of_work() as s:
            for name, email, phone, web, owner, tags in DEMO_CLIENTS:
                client = Client(
                    name=name,
                    email=email,
                    phone=phone,
                    website=web,
                    owner_id=users[owner].id,
                    tags=tags,
                    address=f"{rng.randint(1, 999)} Main Street",
                    notes=None,
                )
                s.add(client)
                for _ in range(rng.randint(1, 3)):
                    first, last = rng.choice(FIRST), rng.choice(LAST)
                    s.add(
                        Contact(
                            first_name=first,
                            last_name=last,
                            client=client,
                            title=rng.choice(["CEO", "CTO", "Buyer", "Ops lead"]),
                            email=f"{first.lower()}.{last.lower()}@{email.split('@')[1]}",
                            phone=phone,
                        )
                    )
        acme = db.session.scalar(
            sa.select(Client).where(Client.organization_id == org.id, Client.name == "Acme Corporation")
        )
        with ctx.as_user("manager"), unit_of_work():
            acme.notes = "Renewal due in Q1; prefers email."
    if ctx.count(Deal) == 0:
        _seed_pipeline(ctx)
    if ctx.count(Client, ctx.other) == 0:
        with ctx.as_user("globex", ctx.other), unit_of_work() as s:
            s.add(Client(name="Globex Secret Client", email="secret@globex.example", owner_id=users["globex"].id))


LEAD_NAMES = [
    ("Priya Raman", "Northwind Traders", "web"),
    ("Tom Becker", "Contoso Ltd", "referral"),
    ("Lena Vogel", "Fabrikam", "event"),
    ("Omar Haddad", "Tailspin Toys", "email"),
    ("Sofia Costa", "Adventure Works", "phone"),
    ("Kenji Mori", "Litware", "partner"),
    ("Aisha Bello", "Proseware", "web"),
    ("Lucas Petit", "Wide World Importers", "referral"),
    ("Maya Cohen", "Coho Winery", "event"),
    ("Nils Larsen", "Blue Yonder Airlines", "web"),
    ("Zoe Martin", "Fourth Coffee", "email"),
    ("Ivan Petrov", "Woodgrove Bank", "partner"),
    ("Clara Jensen", "Lucerne Publishing", "web"),
    ("Diego Ruiz", "Margie's Travel", "phone"),
    ("Emma Wilson", "Trey Research", "referral"),
    ("Yusuf Demir", "VanArsdel", "event"),
    ("Hanna Berg", "Alpine Ski House", "web"),
    ("Paul Girard", "Graphic Design Institute", "other"),
]
DEAL_TITLES = [
    "ERP rollout",
    "Support renewal",
    "Warehouse module",
    "Data migration",
    "Training package",
    "Cloud hosting",
    "Payroll integration",
    "E-commerce connector",
    "Annual audit",
    "Reporting suite",
]


def _seed_pipeline(ctx: SeedContext) -> None:
    """A demo pipeline: leads in every status, deals moved through the stages (each move through
    the services, so the activities, history and audit rows are the real ones), tasks (some
    overdue) and comments. Creation dates spread over the last four months."""
    org, users, rng = ctx.org, ctx.users, ctx.rng
    clients = list(db.session.scalars(sa.select(Client).where(Client.organization_id == org.id).order_by(Client.id)))
    sellers = [users[u] for u in ("staff", "manager", "commercial", "staff", "admin")]
    today = datetime.utcnow()

    def as_user(user):
        return ctx.as_user(user.username)

    lead_targets = ["new"] * 5 + ["contacted"] * 5 + ["qualified"] * 5 + ["lost"] * 3
    for (name, company, source), target in zip(LEAD_NAMES, lead_targets, strict=True):
        owner = rng.choice(sellers)
        with as_user(owner), unit_of_work() as s:
            lead = Lead(
                name=name,
                company=company,
                source=source,
                owner_id=owner.id,
                email=f"{name.split()[0].lower()}@{company.split()[0].lower()}.example",
                created_at=today - timedelta(days=rng.randint(1, 120)),
            )
            s.add(lead)
        path = {"new": [], "contacted": ["contacted"], "qualified": ["contacted", "qualified"]}
        for status in path.get(target, ["contacted", "lost"]):
            with as_user(owner):
                crm.set_lead_status(lead, status)
    # (stage reached, outcome) for 36 deals: most open, a third closed
    plan = (
        [("qualification", "open")] * 8
        + [("proposal", "open")] * 8
        + [("negotiation", "open")] * 7
        + [("negotiation", "won")] * 7
        + [("proposal", "lost")] * 3
        + [("qualification", "lost")] * 3
    )
    for i, (stage, outcome) in enumerate(plan):
        owner = sellers[i % len(sellers)]
        client = clients[i % len(clients)]
        amount = Decimal(rng.randrange(20, 400) * 250)
        with as_user(owner), unit_of_work() as s:
            deal = Deal(
                title=f"{client.name} — {DEAL_TITLES[i % len(DEAL_TITLES)]}",
                client_id=client.id,
                owner_id=owner.id,
                amount=amount,
                currency="EUR",
                expected_close_date=(today + timedelta(days=rng.randint(-10, 90))).date(),
                created_at=today - timedelta(days=rng.randint(1, 120)),
            )
            s.add(deal)
        with as_user(owner):
            for next_stage in DEAL_STAGES[1 : DEAL_STAGES.index(stage) + 1]:
                crm.move_deal(deal, next_stage)
            if outcome != "open":
                crm.close_deal(deal, outcome)
            if i % 4 == 0:
                crm.add_comment(
                    rng.choice(
                        [
                            "Called the buyer; budget confirmed.",
                            "Sent the revised quote.",
                            "Demo went well, waiting on IT.",
                            "Legal is reviewing the contract.",
                        ]
                    ),
                    deal=deal,
                )
    qualified = db.session.scalars(
        sa.select(Lead).where(Lead.organization_id == org.id, Lead.status == "qualified").order_by(Lead.id).limit(1)
    ).first()
    if qualified is not None:
        with as_user(qualified.owner):
            crm.convert_lead(qualified, amount=Decimal(18000))
    deals = list(db.session.scalars(sa.select(Deal).where(Deal.organization_id == org.id, Deal.status == "open")))
    task_titles = [
        "Send proposal",
        "Follow-up call",
        "Prepare demo",
        "Update forecast",
        "Check references",
        "Book kickoff meeting",
        "Review contract",
        "Chase signature",
    ]
    assignees = [users["staff"], users["manager"], users["admin"], users["commercial"]]
    with as_user(users["manager"]), unit_of_work() as s:
        for i, title in enumerate(task_titles * 2):
            deal = deals[i % len(deals)]
            s.add(
                Task(
                    title=title,
                    due_date=date.today() + timedelta(days=rng.randint(-7, 21)),
                    done=i % 5 == 4,
                    assignee_id=assignees[i % len(assignees)].id,
                    deal_id=deal.id if i % 3 else None,
                    client_id=deal.client_id,
                )
            )


def _scale_org() -> tuple[Organization, object]:
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == "demo"))
    return org, current_app.appbuilder.sm.find_user(username="admin")


def scale_clients(n: int, batch: int = 5000) -> int:
    """Add `n` clients to the demo organization (with their version, transaction and audit rows)."""
    org, admin = _scale_org()
    start_id = bulk.next_id(Client)
    now = datetime.utcnow()

    def batches():
        for done, size in bulk.in_batches(n, batch):
            rows = []
            for i in range(size):
                k = start_id + done + i
                rows.append(
                    {
                        "id": k,
                        **bulk.record_columns(org.id, admin.id, now),
                        "name": f"Client {k:07d}",
                        "email": f"client{k}@scale.example",
                        "phone": f"+1 555 {k % 10000:04d}",
                        "website": None,
                        "address": None,
                        "owner_id": admin.id,
                        "tags": "scale",
                        "notes": None,
                    }
                )
            yield [(Client, rows)]

    return bulk.write_versioned(batches(), user_id=admin.id, organization_id=org.id)


def scale_deals(n: int, batch: int = 5000) -> int:
    """Add `n` deals over the demo organization's clients (no contact), owned by admin, staff,
    manager and commercial, created over the last 365 days, with their version, transaction and
    audit rows. The mix: about 55% open (qualification, proposal, negotiation; a few moved back
    below their furthest stage, some at amount 0), 20% won (furthest stage `closed`, amount > 0)
    and 25% lost (furthest stage the open stage they were lost in). It respects the `deal` CHECK
    constraints."""
    org, admin = _scale_org()
    sm = current_app.appbuilder.sm
    owner_ids = [u.id for u in (sm.find_user(username=x) for x in ("admin", "staff", "manager", "commercial")) if u]
    client_ids = list(
        db.session.scalars(sa.select(Client.id).where(Client.organization_id == org.id).order_by(Client.id).limit(5000))
    )
    rng = random.Random(n)
    first_id = bulk.next_id(Deal)
    now = datetime.utcnow()

    def batches():
        deal_id = first_id
        for _, size in bulk.in_batches(n, batch):
            rows = []
            for _ in range(size):
                rows.append(_scale_deal(rng, deal_id, now, org.id, admin.id, client_ids, owner_ids))
                deal_id += 1
            yield [(Deal, rows)]

    return bulk.write_versioned(batches(), user_id=admin.id, organization_id=org.id)


def _scale_deal(rng, deal_id: int, now: datetime, org_id: int, admin_id: int, client_ids, owner_ids) -> dict:
    created = now - timedelta(days=rng.random() * 365)
    updated = created + (now - created) * rng.random()
    amount = Decimal(rng.randrange(4, 400) * 250)
    roll = rng.random()
    if roll < 0.20:  # won
        stage, status, furthest = "closed", "won", "closed"
    elif roll < 0.45:  # lost, in the stage it was lost in
        stage, status = "closed", "lost"
        furthest = rng.choices(OPEN_STAGES, weights=(5, 3, 2))[0]
    else:
        stage, status = rng.choices(OPEN_STAGES, weights=(4, 3, 2))[0], "open"
        furthest = stage
        if stage != "negotiation" and rng.random() < 0.05:  # moved back a stage
            furthest = OPEN_STAGES[OPEN_STAGES.index(stage) + 1]
        if stage == "qualification" and rng.random() < 0.3:
            amount = Decimal(0)  # not quoted yet
    return {
        "id": deal_id,
        **bulk.record_columns(org_id, admin_id, now),
        "created_at": created,
        "updated_at": updated,
        "title": f"Deal {deal_id:07d}",
        "client_id": client_ids[deal_id % len(client_ids)],
        "contact_id": None,
        "owner_id": owner_ids[deal_id % len(owner_ids)],
        "amount": amount,
        "currency": "EUR",
        "stage": stage,
        "status": status,
        "furthest_stage": furthest,
        "expected_close_date": (created + timedelta(days=rng.randint(14, 180))).date(),
        "closed_at": updated if status != "open" else None,
        "lead_id": None,
    }

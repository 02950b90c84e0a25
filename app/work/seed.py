"""The work domain's demo data — banks, branches, property types; assignments in every state
(moved through the services, so their timelines, history and audit rows are the real ones) with
documents, messages and tasks; leave (approved and pending) and calendar entries across this
month; an invoice generated from a completed assignment — and the scale loader `assignments`
for the benchmarks. `valuer` sees the assignments assigned to them, `hr` decides leave,
`manager` sees everything (and a second valuer, `valuer2`, shows on the workload)."""

from __future__ import annotations

import io
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from app.core import bulk, numbering
from app.core.seed import SeedContext, ensure_membership, ensure_user
from app.core.tenancy import Organization
from app.core.uow import unit_of_work
from app.crm.models import Client
from app.extensions import db
from app.work.models import Assignment, Bank, Branch, CalendarEvent, LeaveRequest, PropertyType
from app.work.models.assignment import SERIES
from app.work.services import assignments as services
from app.work.services import documents, leave

BANKS = [
    (
        "Northbank",
        "IBAN FR76 3000 4000 0500 0012 3456 789",
        "Valuation for Northbank loan files. Pay to Demo Company, IBAN FR76 3000 6000 0112 3456 7890 189.",
        [("Central", "Lyon"), ("Riverside", "Lyon"), ("Old Port", "Marseille")],
    ),
    (
        "Crédit Alpin",
        "IBAN FR14 2004 1010 0505 0001 3M02 606",
        "Crédit Alpin mortgage valuations — reference the file number on your transfer.",
        [("Grenoble Gare", "Grenoble"), ("Annecy Lac", "Annecy")],
    ),
    ("Coastal Savings", "IBAN FR76 1020 7000 0123 4567 8901 234", None, [("Harbour", "Nice")]),
]
PROPERTY_TYPES = ["Apartment", "House", "Office", "Retail unit", "Land", "Warehouse"]
STREETS = ["Rue de la République", "Quai Saint-Antoine", "Avenue Foch", "Rue Mercière", "Cours Lafayette"]
# (status reached, assignee, due in days from today, fee)
PLAN = [
    ("pending", "valuer", 9, "450"),
    ("pending", "valuer2", 12, "380"),
    ("pending", None, 20, "600"),
    ("site_visit", "valuer", 3, "520"),
    ("site_visit", "valuer2", 6, "480"),
    ("processing", "valuer", 5, "750"),
    ("processing", "valuer", 11, "900"),
    ("processing", "valuer2", 2, "350"),
    ("submitted", "valuer", 1, "640"),
    ("submitted", "valuer2", 8, "410"),
    ("completed", "valuer", -12, "1200"),
    ("completed", "valuer2", -20, "560"),
    ("cancelled", "valuer", -5, "300"),
]
PATH = ("pending", "site_visit", "processing", "submitted", "completed")
MESSAGES = [
    ("manager", "Keys are with the concierge; the owner expects you in the morning."),
    ("valuer", "Visit done. Waiting for the floor plans from the bank."),
    ("manager", "The bank asks for the report by Friday if possible."),
]


def _pdf(title: str) -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        + f"% {title}\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def seed(ctx: SeedContext) -> None:
    if ctx.count(Bank) == 0:
        _seed_master(ctx)
    if "valuer2" not in ctx.users:
        ctx.users["valuer2"] = ensure_user("valuer2", "Vera", "Valuer", "valuer2123", [])
        ensure_membership(ctx.users["valuer2"], ctx.org, "Valuer")
    if ctx.count(Assignment) == 0:
        _seed_assignments(ctx)
    if ctx.count(LeaveRequest) == 0:
        _seed_leave_and_calendar(ctx)


def _seed_master(ctx: SeedContext) -> None:
    with ctx.as_user("manager"), unit_of_work() as s:
        for name, account, notes, branches in BANKS:
            bank = Bank(name=name, account_details=account, invoice_notes=notes)
            s.add(bank)
            for branch, city in branches:
                s.add(Branch(bank=bank, name=branch, city=city))
        for name in PROPERTY_TYPES:
            s.add(PropertyType(name=name))


def _seed_assignments(ctx: SeedContext) -> None:
    org, users, rng = ctx.org, ctx.users, ctx.rng
    clients = list(db.session.scalars(sa.select(Client).where(Client.organization_id == org.id).order_by(Client.id)))
    banks = list(db.session.scalars(sa.select(Bank).where(Bank.organization_id == org.id).order_by(Bank.id)))
    types = list(db.session.scalars(sa.select(PropertyType).where(PropertyType.organization_id == org.id)))
    today = date.today()
    for i, (target, assignee, due_in, fee) in enumerate(PLAN):
        bank = banks[i % len(banks)]
        branch = bank.branches[i % len(bank.branches)]
        with ctx.as_user("manager"), unit_of_work() as s:
            assignment = Assignment(
                client_id=clients[i % len(clients)].id,
                bank_id=bank.id,
                branch_id=branch.id,
                property_type_id=types[i % len(types)].id,
                address=f"{rng.randint(1, 180)} {STREETS[i % len(STREETS)]}, {branch.city}",
                assignee_id=users[assignee].id if assignee else None,
                due_date=today + timedelta(days=due_in),
                fee=Decimal(fee),
                currency="EUR",
            )
            s.add(assignment)
        actor = assignee or "manager"
        with ctx.as_user(actor):
            if target == "cancelled":
                services.transition(assignment, "site_visit")
                services.transition(assignment, "cancelled")
            else:
                for status in PATH[1 : PATH.index(target) + 1]:
                    services.transition(assignment, status)
        if target in ("site_visit", "processing") and assignee:
            with ctx.as_user(assignee), unit_of_work() as s:
                visit = datetime.combine(today + timedelta(days=rng.randint(-6, 4)), time(9 + i % 6))
                s.add(
                    CalendarEvent(
                        type="site_visit",
                        title=f"Site visit {assignment.code}",
                        start=visit,
                        end=visit + timedelta(hours=2),
                        user_id=users[assignee].id,
                        assignment_id=assignment.id,
                        location=assignment.address,
                    )
                )
        if i % 3 == 0 or target in ("processing", "submitted"):
            for author, body in MESSAGES[: 1 + i % 3]:
                who = assignee if author == "valuer" and assignee else "manager"
                with ctx.as_user(who):
                    services.add_message(assignment, body)
        if target in ("processing", "submitted", "completed") and assignee:
            with ctx.as_user(assignee):
                documents.upload(assignment, io.BytesIO(_pdf(f"Report {assignment.code}")), "valuation-report.pdf")
                documents.upload(
                    assignment, io.BytesIO(b"Surface: 84 m2\nRooms: 4\nCondition: good\n"), "site-notes.txt"
                )
        if target in ("pending", "site_visit", "processing"):
            with ctx.as_user("manager"):
                services.add_task(
                    assignment,
                    "Ask the bank for the floor plans" if i % 2 else "Book the site visit with the owner",
                    due_date=today + timedelta(days=rng.randint(-3, 7)),
                    assignee_id=users[assignee].id if assignee else None,
                )
        if target == "completed" and assignee == "valuer":
            with ctx.as_user("manager"):
                services.generate_invoice(assignment)


def _seed_leave_and_calendar(ctx: SeedContext) -> None:
    users, today = ctx.users, date.today()
    monday = today - timedelta(days=today.weekday())
    with ctx.as_user("valuer"), unit_of_work() as s:
        approved = LeaveRequest(
            user_id=users["valuer"].id,
            start_date=monday + timedelta(days=9),
            end_date=monday + timedelta(days=11),
            reason="Family wedding",
        )
        s.add(approved)
    with ctx.as_user("hr"):
        leave.approve(approved)
    with ctx.as_user("valuer2"), unit_of_work() as s:
        s.add(
            LeaveRequest(
                user_id=users["valuer2"].id,
                start_date=monday + timedelta(days=14),
                end_date=monday + timedelta(days=18),
                reason="Holiday",
            )
        )
    with ctx.as_user("valuer"), unit_of_work() as s:
        s.add(
            LeaveRequest(
                user_id=users["valuer"].id,
                start_date=monday + timedelta(days=28),
                end_date=monday + timedelta(days=29),
                reason="Moving house",
            )
        )
    meetings = [
        ("manager", 1, 10, "Weekly planning"),
        ("valuer", 1, 10, "Weekly planning"),
        ("valuer2", 1, 10, "Weekly planning"),
        ("manager", 8, 10, "Weekly planning"),
        ("valuer", 8, 10, "Weekly planning"),
        ("valuer", 3, 15, "Northbank quarterly review"),
        ("manager", 3, 15, "Northbank quarterly review"),
        ("hr", 4, 11, "Interviews"),
        ("valuer2", 15, 14, "Training: new valuation standards"),
    ]
    for who, day, hour, title in meetings:
        start = datetime.combine(monday + timedelta(days=day - 7 if day > 14 else day), time(hour))
        with ctx.as_user(who), unit_of_work() as s:
            s.add(CalendarEvent(type="meeting", title=title, start=start, end=start + timedelta(hours=1)))


# ------------------------------------------------------------------ scale (benchmarks)
OPEN_AT_SCALE = 500  # open assignments at any size: the history grows, the work in hand does not


def scale_assignments(n: int, batch: int = 2000) -> int:
    """Add `n` assignments to the demo organization and `n` calendar entries, with their version,
    transaction and audit rows: the latest OPEN_AT_SCALE assignments open (due in the next twelve
    weeks, each with its deadline entry), the rest completed or cancelled over the past years;
    the other entries are meetings and site visits, a few hundred around this month and the rest
    over the past years. Codes continue the VAL series of each year."""
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == "demo"))
    sm = current_app.appbuilder.sm
    admin = sm.find_user(username="admin")
    valuers = [u for u in (sm.find_user(username=n_) for n_ in ("valuer", "valuer2", "manager")) if u is not None]
    client_ids = list(
        db.session.scalars(sa.select(Client.id).where(Client.organization_id == org.id).order_by(Client.id).limit(2000))
    )
    rng = random.Random(n)
    ids = {"a": bulk.next_id(Assignment), "e": bulk.next_id(CalendarEvent)}
    now = datetime.utcnow()
    today = now.date()
    record = bulk.record_columns(org.id, admin.id, now)
    counters: dict[int, int] = {}

    def code(year: int) -> str:
        if year not in counters:
            counters[year] = (
                db.session.scalar(
                    sa.select(numbering.NumberCounter.value).where(
                        numbering.NumberCounter.organization_id == org.id,
                        numbering.NumberCounter.series == SERIES,
                        numbering.NumberCounter.year == year,
                    )
                )
                or 0
            )
        counters[year] += 1
        return numbering.format_number(SERIES, year, counters[year])

    def entry(start: datetime, user_id: int, kind: str, title: str, assignment_id=None, source="manual") -> dict:
        row = {
            "id": ids["e"],
            **record,
            "type": kind,
            "title": title,
            "start": start,
            "end": start + (timedelta(days=1) if kind == "deadline" else timedelta(hours=1)),
            "all_day": kind == "deadline",
            "user_id": user_id,
            "assignment_id": assignment_id,
            "leave_request_id": None,
            "location": None,
            "notes": None,
            "source": source,
        }
        ids["e"] += 1
        return row

    def batches():
        made_events = 0
        for offset, size in bulk.in_batches(n, batch):
            assignments, events = [], []
            for k in range(size):
                i = offset + k
                is_open = i >= n - OPEN_AT_SCALE
                assignee = valuers[i % len(valuers)]
                if is_open:
                    due = today + timedelta(days=rng.randint(0, 84))
                    status = ("pending", "site_visit", "processing", "submitted")[i % 4]
                    created = now - timedelta(days=rng.randint(1, 30))
                else:
                    due = today - timedelta(days=rng.randint(30, 3650))
                    status = "completed" if i % 10 else "cancelled"
                    created = datetime.combine(due - timedelta(days=rng.randint(5, 40)), time(9))
                a_id = ids["a"]
                ids["a"] += 1
                assignments.append(
                    {
                        "id": a_id,
                        **record,
                        "created_at": created,
                        "code": code(created.year),
                        "client_id": client_ids[i % len(client_ids)],
                        "bank_id": None,
                        "branch_id": None,
                        "property_type_id": None,
                        "address": f"{i % 200 + 1} Scale Street",
                        "assignee_id": assignee.id,
                        "due_date": due,
                        "fee": Decimal(rng.randrange(300, 1500)),
                        "currency": "EUR",
                        "status": status,
                        "notes": None,
                    }
                )
                if is_open:
                    events.append(
                        entry(datetime.combine(due, time()), assignee.id, "deadline", "Due", a_id, "deadline")
                    )
                else:  # its past site visit
                    visit = datetime.combine(due - timedelta(days=3), time(10))
                    events.append(entry(visit, assignee.id, "site_visit", "Site visit", a_id))
                made_events += 1
            yield [(Assignment, assignments), (CalendarEvent, events)]
        # the rest of the n calendar entries: meetings, ~300 around this month, the rest years back
        while made_events < n:
            events = []
            for _ in range(min(batch, n - made_events)):
                near = made_events % max(1, n // 300) == 0
                day = (
                    today + timedelta(days=rng.randint(-20, 20))
                    if near
                    else today - timedelta(days=rng.randint(60, 3650))
                )
                who = valuers[made_events % len(valuers)]
                events.append(entry(datetime.combine(day, time(8 + made_events % 9)), who.id, "meeting", "Meeting"))
                made_events += 1
            yield [(CalendarEvent, events)]

    count = bulk.write_versioned(batches(), user_id=admin.id, organization_id=org.id)
    for year, value in counters.items():
        numbering.allocate(org.id, SERIES, year)  # the counter row exists
        db.session.execute(
            sa.update(numbering.NumberCounter)
            .where(
                numbering.NumberCounter.organization_id == org.id,
                numbering.NumberCounter.series == SERIES,
                numbering.NumberCounter.year == year,
            )
            .values(value=value)
        )
    db.session.commit()
    return count

"""Billing's demo data — invoices in every status, written through the services (so their
numbers, totals, history and audit rows are the real ones): a draft, sent ones (one partly
paid, two overdue), paid ones (by two payments, and by "mark paid"), a void one — and the scale
loader `invoices` for the benchmarks."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from app.billing import services
from app.billing.models import Invoice, InvoiceLine, Payment
from app.billing.totals import invoice_totals, line_amounts
from app.core import bulk, numbering
from app.core.seed import SeedContext
from app.core.tenancy import Organization
from app.crm.models import Client
from app.extensions import db

BANK_NOTE = (
    "Bank transfer to Demo Company — IBAN FR76 3000 6000 0112 3456 7890 189, BIC AGRIFRPP.\nPayment within 30 days."
)
# (client, days ago issued (None: a draft), lines, what happens next)
DEMO_INVOICES = [
    (
        "Acme Corporation",
        None,
        [("Odoo licence renewal", 12, "31.10", 20, 0), ("Onboarding workshop", 1, "900", 20, 10)],
        "draft",
    ),
    (
        "Globex Industries",
        5,
        [("Warehouse module setup", 3, "1200", 20, 0), ("Data migration", 1, "2500", 20, 5)],
        "sent",
    ),
    ("Initech", 20, [("HR portal sprint 1", 10, "650", 20, 0)], "partial"),
    (
        "Umbrella Health",
        40,
        [("Upgrade 16 → 17", 1, "8000", 20, 0), ("Hosting (quarter)", 3, "149.99", 20, 0)],
        "paid2",
    ),
    ("Stark Logistics", 62, [("Route planning add-on", 2, "1750", 20, 0)], "overdue"),
    ("Soylent Foods", 130, [("Annual support", 1, "4800", 20, 15)], "overdue"),
    ("Hooli", 12, [("Training package", 4, "480", 20, 0)], "void"),
    ("Wayne Foundation", 25, [("Grant reporting suite", 1, "3200", 0, 0)], "mark_paid"),
]


def seed(ctx: SeedContext) -> None:
    if ctx.count(Invoice) == 0:
        _seed_invoices(ctx)
    if ctx.count(Invoice, ctx.other) == 0:
        client = db.session.scalar(sa.select(Client).where(Client.organization_id == ctx.other.id).limit(1))
        if client is not None:
            with ctx.as_user("globex", ctx.other):
                services.create_invoice(
                    client.id, lines=[{"description": "Secret consulting", "quantity": 1, "unit_price": 999}], send=True
                )


def _seed_invoices(ctx: SeedContext) -> None:
    clients = {c.name: c for c in db.session.scalars(sa.select(Client).where(Client.organization_id == ctx.org.id))}
    today = date.today()
    for name, days_ago, lines, fate in DEMO_INVOICES:
        if name not in clients:
            continue
        issued = today - timedelta(days=days_ago) if days_ago is not None else None
        specs = [
            {"description": d, "quantity": Decimal(q), "unit_price": Decimal(p), "tax_rate": t, "discount_rate": r}
            for d, q, p, t, r in lines
        ]
        with ctx.as_user("staff"):
            invoice = services.create_invoice(
                clients[name].id,
                lines=specs,
                notes=BANK_NOTE,
                issue_date=issued,
                due_date=issued + timedelta(days=30) if issued else None,
            )
            if fate != "draft":
                services.send_invoice(invoice)
        with ctx.as_user("finance"):
            if fate == "partial":
                services.add_payment(invoice, Decimal("2000"), date=issued + timedelta(days=10), reference="TRF-1042")
            elif fate == "paid2":
                half = (invoice.balance_due / 2).quantize(Decimal("0.01"))
                services.add_payment(invoice, half, date=issued + timedelta(days=12), reference="TRF-0981")
                services.add_payment(invoice, invoice.balance_due, date=issued + timedelta(days=28), method="card")
            elif fate == "mark_paid":
                services.mark_paid(invoice, date=issued + timedelta(days=20))
        if fate == "void":
            with ctx.as_user("manager"):
                services.void_invoice(invoice)


# ------------------------------------------------------------------ scale (benchmarks)
def scale_invoices(n: int, lines_per_invoice: int = 5, batch: int = 2000) -> int:
    """Add `n` invoices over the demo organization's clients, `lines_per_invoice` lines each, with
    their version, transaction and audit rows: about 60% paid (one payment each), 25% sent (a
    third of them overdue), 10% drafts and 5% void; issued over the last two years with
    consecutive numbers per year (the counters are moved on, so later issues continue them)."""
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == "demo"))
    admin = current_app.appbuilder.sm.find_user(username="admin")
    client_ids = list(
        db.session.scalars(sa.select(Client.id).where(Client.organization_id == org.id).order_by(Client.id).limit(5000))
    )
    rng = random.Random(n)
    ids = {"invoice": bulk.next_id(Invoice), "line": bulk.next_id(InvoiceLine), "payment": bulk.next_id(Payment)}
    now = datetime.utcnow()
    record = bulk.record_columns(org.id, admin.id, now)
    counters: dict[int, int] = {}
    for year in range(now.year - 2, now.year + 1):
        counters[year] = (
            db.session.scalar(
                sa.select(numbering.NumberCounter.value).where(
                    numbering.NumberCounter.organization_id == org.id,
                    numbering.NumberCounter.series == services.SERIES,
                    numbering.NumberCounter.year == year,
                )
            )
            or 0
        )

    def batches():
        for _, size in bulk.in_batches(n, batch):
            invoices, lines, payments = [], [], []
            for _ in range(size):
                inv_id = ids["invoice"]
                ids["invoice"] += 1
                roll = rng.random()
                status = "paid" if roll < 0.6 else "sent" if roll < 0.85 else "draft" if roll < 0.95 else "void"
                issued = (now - timedelta(days=rng.randint(0, 700))).date() if status != "draft" else None
                amounts = []
                for j in range(lines_per_invoice):
                    qty, price = Decimal(rng.randint(1, 20)), Decimal(rng.randrange(1000, 200000)) / 100
                    tax, disc = Decimal(rng.choice((0, 10, 20))), Decimal(rng.choice((0, 0, 0, 5, 10)))
                    a = line_amounts(qty, price, disc, tax, "EUR")
                    amounts.append(a)
                    lines.append(
                        {
                            "id": ids["line"],
                            **record,
                            "invoice_id": inv_id,
                            "description": f"Service {j + 1} of invoice {inv_id}",
                            "quantity": qty,
                            "unit_price": price,
                            "tax_rate": tax,
                            "discount_rate": disc,
                            "subtotal": a.subtotal,
                            "discount_amount": a.discount,
                            "tax_amount": a.tax,
                            "total": a.total,
                        }
                    )
                    ids["line"] += 1
                paid = []
                if status == "paid":
                    paid = [invoice_totals(amounts, [], "EUR").total]
                totals = invoice_totals(amounts, paid, "EUR")
                number = None
                if issued is not None:
                    counters[issued.year] = counters.get(issued.year, 0) + 1
                    number = numbering.format_number(services.SERIES, issued.year, counters[issued.year])
                invoices.append(
                    {
                        "id": inv_id,
                        **record,
                        "number": number,
                        "client_id": client_ids[inv_id % len(client_ids)],
                        "assignment_id": None,
                        "issue_date": issued,
                        "due_date": issued + timedelta(days=30) if issued else None,
                        "currency": "EUR",
                        "status": status,
                        "notes": None,
                        "subtotal": totals.subtotal,
                        "discount_total": totals.discount,
                        "tax_total": totals.tax,
                        "total": totals.total,
                        "paid_total": totals.paid,
                        "balance_due": totals.balance_due,
                        "sent_at": now if issued else None,
                        "paid_at": now if status == "paid" else None,
                        "voided_at": now if status == "void" else None,
                    }
                )
                if paid:
                    payments.append(
                        {
                            "id": ids["payment"],
                            **record,
                            "invoice_id": inv_id,
                            "amount": paid[0],
                            "date": issued + timedelta(days=rng.randint(1, 40)),
                            "method": "bank_transfer",
                            "reference": None,
                        }
                    )
                    ids["payment"] += 1
            yield [(Invoice, invoices), (InvoiceLine, lines), (Payment, payments)]

    count = bulk.write_versioned(batches(), user_id=admin.id, organization_id=org.id)
    for year, value in counters.items():
        if value:
            numbering.allocate(org.id, services.SERIES, year)  # the row exists
            db.session.execute(
                sa.update(numbering.NumberCounter)
                .where(
                    numbering.NumberCounter.organization_id == org.id,
                    numbering.NumberCounter.series == services.SERIES,
                    numbering.NumberCounter.year == year,
                )
                .values(value=value)
            )
    db.session.commit()
    return count

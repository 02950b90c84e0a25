"""Receivables (SPEC §8): what clients owe, per client and currency — outstanding, overdue,
oldest due date and aging buckets — by aggregate SQL: one GROUP BY over the sent invoices
(read from the covering index `ix_invoice_active_receivable`), one for the totals per currency.
Nothing here grows with the number of invoices but the database's own scan.

Aging is by days past the due date: `current` is not yet due; `d0_30` is due today up to 30
days late, then `d31_60`, `d61_90`, `d90_plus`. outstanding = current + the four buckets;
overdue = the four buckets' sum less what is due today (due date strictly past).

Scope: the tenant hook adds the organization as for every ORM query; archived invoices are
left out (an invoice still due cannot be archived).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterSmaller

from app.billing.models import Invoice
from app.core.history import plain
from app.crm.models import Client
from app.extensions import db

BUCKETS = ("current", "d0_30", "d31_60", "d61_90", "d90_plus")
MAX_PAGE_SIZE = 500


class Overdue(BaseFilter):
    """`(filters:!((col:status,opr:overdue,value:1)))`: sent and past the due date."""

    name = "Is overdue"
    arg_name = "overdue"
    flag = True  # takes no value

    def apply(self, query, value):
        return query.filter(Invoice.status == "sent", Invoice.due_date < date.today())


def overdue_list_url(view) -> str:
    """The invoice list page filtered to the overdue ones (FAB's own equal / less-than filters)."""
    filters = view._filters._all_filters
    eq = next(i for i, f in enumerate(filters["status"]) if isinstance(f, FilterEqual))
    lt = next(i for i, f in enumerate(filters["due_date"]) if isinstance(f, FilterSmaller))
    return f"{view.route_base}/list/?_flt_{eq}_status=sent&_flt_{lt}_due_date={date.today().isoformat()}"


def _bucket_sums(today: date) -> list[sa.ColumnElement]:
    due, balance = Invoice.due_date, Invoice.balance_due
    zero = sa.literal(0, sa.Numeric(14, 2))

    def between(newest: date | None, oldest: date | None):
        cond = []
        if newest is not None:
            cond.append(due <= newest)
        if oldest is not None:
            cond.append(due >= oldest)
        return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*cond), balance), else_=zero)), zero)

    return [
        sa.func.coalesce(sa.func.sum(balance), zero).label("outstanding"),
        sa.func.coalesce(sa.func.sum(sa.case((due < today, balance), else_=zero)), zero).label("overdue"),
        sa.func.min(due).label("oldest_due_date"),
        sa.func.coalesce(sa.func.sum(sa.case((due > today, balance), else_=zero)), zero).label("current"),
        between(today, today - timedelta(days=30)).label("d0_30"),
        between(today - timedelta(days=31), today - timedelta(days=60)).label("d31_60"),
        between(today - timedelta(days=61), today - timedelta(days=90)).label("d61_90"),
        between(today - timedelta(days=91), None).label("d90_plus"),
        sa.func.count().label("invoices"),
    ]


def _where() -> list[sa.ColumnElement[bool]]:
    return [Invoice.status == "sent", Invoice.archived_at.is_(None)]


def _row(row, *keys: str) -> dict:
    out = {k: plain(getattr(row, k)) for k in keys}
    for name in ("outstanding", "overdue", *BUCKETS):
        out[name] = str(Decimal(getattr(row, name) or 0).quantize(Decimal("0.01")))
    out["oldest_due_date"] = plain(row.oldest_due_date)
    out["invoices"] = row.invoices
    return out


def receivables(*, page: int = 0, page_size: int = 100, client_id: int | None = None, today: date | None = None):
    """{"as_of", "totals": [per currency], "clients": [per client and currency], "count"}: the
    clients ordered by what they owe, most first, one page of them."""
    today = today or date.today()
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    where = _where()
    if client_id is not None:
        where.append(Invoice.client_id == client_id)
    grouped = (
        sa.select(Invoice.client_id, Invoice.currency, *_bucket_sums(today))
        .where(*where)
        .group_by(Invoice.client_id, Invoice.currency)
        .subquery("receivable")
    )
    per_client = db.session.execute(
        sa.select(grouped, Client.name.label("client_name"), sa.func.count().over().label("total_rows"))
        .join(Client, Client.id == grouped.c.client_id)
        .order_by(grouped.c.outstanding.desc(), grouped.c.client_id, grouped.c.currency)
        .limit(page_size)
        .offset(page * page_size)
    ).all()
    totals = db.session.execute(
        sa.select(Invoice.currency, *_bucket_sums(today))
        .where(*where)
        .group_by(Invoice.currency)
        .order_by(Invoice.currency)
    ).all()
    return {
        "as_of": today.isoformat(),
        "buckets": list(BUCKETS),
        "totals": [_row(r, "currency") for r in totals],
        "clients": [_row(r, "client_id", "client_name", "currency") for r in per_client],
        "count": per_client[0].total_rows if per_client else 0,
        "page": page,
        "page_size": page_size,
    }


def dashboard_totals() -> list[dict]:
    """Outstanding and overdue per currency (the dashboard's card)."""
    today = date.today()
    zero = sa.literal(0, sa.Numeric(14, 2))
    rows = db.session.execute(
        sa.select(
            Invoice.currency,
            sa.func.coalesce(sa.func.sum(Invoice.balance_due), zero).label("outstanding"),
            sa.func.coalesce(
                sa.func.sum(sa.case((Invoice.due_date < today, Invoice.balance_due), else_=zero)), zero
            ).label("overdue"),
            sa.func.count().label("invoices"),
        )
        .where(*_where())
        .group_by(Invoice.currency)
        .order_by(Invoice.currency)
    ).all()
    return [
        {"currency": r.currency, "outstanding": r.outstanding, "overdue": r.overdue, "invoices": r.invoices}
        for r in rows
    ]

"""Deal analytics (SPEC §5): aggregate SQL over the active organization's deals — GROUP BYs
that return a handful of rows whatever the table's size; Python only arranges those rows.

Scope: the query-level tenant filter (app/core/scope.py) adds the organization, as for every ORM
query. Archived deals are left out. Filters: `owner_id` and a date range on the creation date.
Amounts are per currency (grouped by it, rounded to its minor unit): never added across currencies.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.core.errors import invalid, valid_id
from app.core.money import round_money
from app.crm.models import DEAL_STAGES, DEAL_STATUSES, LEAD_STATUSES, Deal, Lead, Task
from app.extensions import db


@dataclass(frozen=True)
class DealFilter:
    owner_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive

    @classmethod
    def from_args(cls, args, current_user_id: int | None) -> DealFilter:
        """`owner` (a user id or `me`), `date_from`, `date_to` (YYYY-MM-DD); 422 on bad values."""
        owner = (args.get("owner") or "").strip()
        owner_id = None
        if owner == "me":
            owner_id = current_user_id
        elif owner:
            owner_id = int(owner) if owner.isdigit() else None
            if not valid_id(owner_id):
                raise invalid("owner", "A user id or 'me'.")
        dates = {}
        for key in ("date_from", "date_to"):
            raw = (args.get(key) or "").strip()
            if raw:
                try:
                    dates[key] = date.fromisoformat(raw)
                except ValueError:
                    raise invalid(key, "A date as YYYY-MM-DD.") from None
        if "date_from" in dates and "date_to" in dates and dates["date_from"] > dates["date_to"]:
            raise invalid("date_to", "Must not be before date_from.")
        return cls(owner_id=owner_id, **dates)

    def where(self) -> list[sa.ColumnElement[bool]]:
        clauses = [Deal.archived_at.is_(None)]
        if self.owner_id is not None:
            clauses.append(Deal.owner_id == self.owner_id)
        if self.date_from is not None:
            clauses.append(Deal.created_at >= datetime.combine(self.date_from, time.min))
        if self.date_to is not None and self.date_to < date.max:
            clauses.append(Deal.created_at < datetime.combine(self.date_to + timedelta(days=1), time.min))
        return clauses

    def as_dict(self) -> dict:
        return {
            "owner_id": self.owner_id,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }


Amounts = dict[str, Decimal]  # currency -> sum: amounts of different currencies are never added


def money(value, currency: str = "EUR") -> str:
    return str(round_money(Decimal(value or 0), currency))


def amounts_json(amounts: Amounts) -> dict[str, str]:
    return {currency: money(amount, currency) for currency, amount in sorted(amounts.items())}


def add_amount(into: Amounts, currency: str, amount) -> None:
    into[currency] = into.get(currency, Decimal(0)) + Decimal(amount or 0)


def _ratio(part: int | Decimal, whole: int | Decimal) -> float | None:
    return round(float(part) / float(whole), 4) if whole else None


def summary_statement(flt: DealFilter) -> sa.Select:
    return (
        sa.select(Deal.status, Deal.currency, sa.func.count(), sa.func.coalesce(sa.func.sum(Deal.amount), 0))
        .where(*flt.where())
        .group_by(Deal.status, Deal.currency)
    )


def deal_summary(flt: DealFilter) -> dict:
    """Count and amounts (per currency) per status, win rate (won / closed), average won amount
    and average deal size per currency, and the open pipeline's value per currency."""
    counts = dict.fromkeys(DEAL_STATUSES, 0)
    amounts: dict[str, Amounts] = {s: {} for s in DEAL_STATUSES}
    per_currency: dict[str, int] = {}
    won_per_currency: dict[str, int] = {}
    for status, currency, count, amount in db.session.execute(summary_statement(flt)):
        counts[status] += count
        add_amount(amounts[status], currency, amount)
        per_currency[currency] = per_currency.get(currency, 0) + count
        if status == "won":
            won_per_currency[currency] = won_per_currency.get(currency, 0) + count
    total: Amounts = {}
    for status in DEAL_STATUSES:
        for currency, amount in amounts[status].items():
            add_amount(total, currency, amount)
    return {
        "filters": flt.as_dict(),
        "by_status": [{"status": s, "count": counts[s], "amounts": amounts_json(amounts[s])} for s in DEAL_STATUSES],
        "total": {"count": sum(counts.values()), "amounts": amounts_json(total)},
        "win_rate": _ratio(counts["won"], counts["won"] + counts["lost"]),
        "average_won_amount": amounts_json(
            {c: a / won_per_currency[c] for c, a in amounts["won"].items() if won_per_currency.get(c)}
        ),
        "average_deal_size": amounts_json({c: a / per_currency[c] for c, a in total.items() if per_currency.get(c)}),
        "pipeline_value": amounts_json(amounts["open"]),
    }


def funnel_statement(flt: DealFilter) -> sa.Select:
    return (
        sa.select(
            Deal.stage,
            Deal.furthest_stage,
            Deal.currency,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(Deal.amount), 0),
        )
        .where(*flt.where())
        .group_by(Deal.stage, Deal.furthest_stage, Deal.currency)
    )


def deal_funnel(flt: DealFilter) -> dict:
    """Per stage: the deals in it now (count, amounts per currency) and the deals that reached
    it (a won deal reached every stage; a lost one, the stage it was lost in); conversion from
    each stage to the next = reached(next) / reached(this). The last step's `reached` counts won
    deals."""
    now_count = dict.fromkeys(DEAL_STAGES, 0)
    now_amounts: dict[str, Amounts] = {s: {} for s in DEAL_STAGES}
    reached = dict.fromkeys(DEAL_STAGES, 0)
    for stage, furthest, currency, count, amount in db.session.execute(funnel_statement(flt)):
        now_count[stage] += count
        add_amount(now_amounts[stage], currency, amount)
        for s in DEAL_STAGES[: DEAL_STAGES.index(furthest) + 1]:
            reached[s] += count
    stages = []
    for i, stage in enumerate(DEAL_STAGES):
        nxt = DEAL_STAGES[i + 1] if i + 1 < len(DEAL_STAGES) else None
        stages.append(
            {
                "stage": stage,
                "count": now_count[stage],
                "amounts": amounts_json(now_amounts[stage]),
                "reached": reached[stage],
                "conversion_to_next": _ratio(reached[nxt], reached[stage]) if nxt else None,
            }
        )
    return {
        "filters": flt.as_dict(),
        "stages": stages,
        "conversions": [
            {"from": a, "to": b, "rate": _ratio(reached[b], reached[a])} for a, b in itertools.pairwise(DEAL_STAGES)
        ],
    }


def lead_status_counts(owner_id: int | None = None) -> dict[str, int]:
    """{status: count} of the active leads (of one owner): the dashboard's and the board's."""
    stmt = sa.select(Lead.status, sa.func.count()).where(Lead.archived_at.is_(None)).group_by(Lead.status)
    if owner_id is not None:
        stmt = stmt.where(Lead.owner_id == owner_id)
    return dict(db.session.execute(stmt).all())


def lead_counts() -> list[dict]:
    rows = lead_status_counts()
    return [{"status": s, "count": rows.get(s, 0)} for s in LEAD_STATUSES]


def my_open_tasks(user_id: int | None, limit: int = 10) -> list[Task]:
    return list(
        db.session.scalars(
            sa.select(Task)
            .where(Task.assignee_id == (user_id or -1), Task.done.is_(False), Task.archived_at.is_(None))
            .order_by(Task.due_date.is_(None), Task.due_date, Task.id)
            .limit(limit)
        )
    )

"""Workload (SPEC §7): open assignments per valuer per week over a date range, net of leave, so
that a manager sees who can take the next job. Aggregate SQL: one GROUP BY of the open
assignments by assignee and due date, one of the leave entries by person and day, one query for
the people; the weeks are folded here (at most 26 of them, whatever the table's size).

A week's capacity is `OPSHUB_WEEKLY_CAPACITY` assignments (default 5) for five working days,
prorated by the days not on leave; `free` is capacity minus the open assignments due that week."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_appbuilder.security.sqla.models import Role, User

from app.core import context
from app.core.errors import invalid
from app.core.tenancy import Membership
from app.extensions import db
from app.work.models import OPEN_STATUSES, Assignment, CalendarEvent

MAX_WEEKS = 26
VALUER_ROLE = "Valuer"


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_dates(raw_from: str | None, raw_to: str | None) -> tuple[date, date]:
    def parse(raw, field, fallback):
        if not raw:
            return fallback
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            raise invalid(field, "A date as YYYY-MM-DD.") from None

    today = date.today()
    start = parse(raw_from, "from", monday(today))
    end = parse(raw_to, "to", monday(today) + timedelta(weeks=6, days=-1))
    if end < start:
        raise invalid("to", "Cannot be before from.")
    if (monday(end) - monday(start)).days // 7 + 1 > MAX_WEEKS:
        raise invalid("to", f"At most {MAX_WEEKS} weeks at a time.")
    return start, end


def workload(start: date, end: date) -> dict:
    weeks = []
    week = monday(start)
    while week <= end:
        weeks.append(week)
        week += timedelta(weeks=1)
    first, last = weeks[0], weeks[-1] + timedelta(days=6)
    load_rows = db.session.execute(
        sa.select(Assignment.assignee_id, Assignment.due_date, sa.func.count())
        .where(
            Assignment.archived_at.is_(None),
            Assignment.status.in_(OPEN_STATUSES),
            Assignment.assignee_id.is_not(None),
            Assignment.due_date >= first,
            Assignment.due_date <= last,
        )
        .group_by(Assignment.assignee_id, Assignment.due_date)
    ).all()
    leave_rows = db.session.execute(
        sa.select(CalendarEvent.user_id, CalendarEvent.start, sa.func.count())
        .where(
            CalendarEvent.archived_at.is_(None),
            CalendarEvent.type == "leave",
            CalendarEvent.start >= datetime.combine(first, time()),
            CalendarEvent.start < datetime.combine(last + timedelta(days=1), time()),
        )
        .group_by(CalendarEvent.user_id, CalendarEvent.start)
    ).all()
    load: dict[tuple[int, date], int] = defaultdict(int)
    for user_id, due, count in load_rows:
        load[(user_id, monday(due))] += count
    leave: dict[tuple[int, date], int] = defaultdict(int)
    for user_id, day, _count in leave_rows:
        day = day.date() if isinstance(day, datetime) else day
        if day.weekday() < 5:
            leave[(user_id, monday(day))] += 1
    people = _people({u for u, _ in load} | {u for u, _ in leave})
    capacity = int(current_app.config.get("OPSHUB_WEEKLY_CAPACITY", 5))
    rows = []
    for user in people:
        cells = []
        for week in weeks:
            days_off = min(5, leave[(user.id, week)])
            cap = round(capacity * (5 - days_off) / 5, 1)
            open_ = load[(user.id, week)]
            cells.append(
                {
                    "week": week.isoformat(),
                    "open": open_,
                    "leave_days": days_off,
                    "capacity": cap,
                    "free": round(cap - open_, 1),
                }
            )
        rows.append(
            {
                "user_id": user.id,
                "username": user.username,
                "name": f"{user.first_name} {user.last_name}".strip(),
                "weeks": cells,
                "open": sum(c["open"] for c in cells),
                "free": round(sum(c["free"] for c in cells), 1),
            }
        )
    rows.sort(key=lambda r: (-r["free"], r["username"]))
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "weeks": [w.isoformat() for w in weeks],
        "weekly_capacity": capacity,
        "valuers": rows,
    }


def _people(extra_ids: set[int]) -> list[User]:
    """The organization's valuers, and anyone else with open assignments or leave in the range.
    Only those the acting user sees: a valuer without can_edit_all sees their own row."""
    from app.core.scope import capability

    org_id = context.current_org_id() or -1
    who = sa.or_(Role.name == VALUER_ROLE, User.id.in_(extra_ids)) if extra_ids else Role.name == VALUER_ROLE
    stmt = (
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .join(Role, Role.id == Membership.role_id)
        .where(Membership.organization_id == org_id, User.active.is_(True), who)
        .order_by(User.username)
    )
    if not capability("can_edit_all", "Assignment"):
        stmt = stmt.where(User.id == (context.current_user_id() or -1))
    return list(db.session.scalars(stmt).unique())

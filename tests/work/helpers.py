"""Factories of the work domain's rows (each returns a committed object)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from app.core.uow import unit_of_work
from tests import factories as f


def make_bank(org, **fields):
    from app.work.models import Bank

    fields.setdefault("name", f.unique("Bank "))
    with f.acting(None, org), unit_of_work() as s:
        bank = Bank(**fields)
        s.add(bank)
    return bank


def make_branch(org, bank=None, **fields):
    from app.work.models import Branch

    bank = bank or make_bank(org)
    fields.setdefault("name", f.unique("Branch "))
    with f.acting(None, org), unit_of_work() as s:
        branch = Branch(bank_id=bank.id, **fields)
        s.add(branch)
    return branch


def make_property_type(org, **fields):
    from app.work.models import PropertyType

    fields.setdefault("name", f.unique("Type "))
    with f.acting(None, org), unit_of_work() as s:
        row = PropertyType(**fields)
        s.add(row)
    return row


def make_assignment(org, assignee=None, *, status: str | None = None, **fields):
    """An assignment (pending; moved along the lifecycle to `status` as a manager would)."""
    from app.work.models import Assignment
    from app.work.models.assignment import PATH_FOR_TESTS
    from app.work.services import assignments

    fields.setdefault("client_id", f.make_client(org).id)
    fields.setdefault("fee", "500.00")
    fields.setdefault("due_date", date.today() + timedelta(days=7))
    with f.acting(None, org), unit_of_work() as s:
        row = Assignment(assignee_id=assignee.id if assignee else None, **fields)
        s.add(row)
    if status and status != "pending":
        with f.acting(None, org):
            for step in PATH_FOR_TESTS[status]:
                assignments.transition(row, step)
    return row


def make_event(org, user, **fields):
    from app.work.models import CalendarEvent

    fields.setdefault("title", f.unique("Meeting "))
    fields.setdefault("start", datetime(2031, 3, 4, 10, 0))
    fields.setdefault("end", fields["start"] + timedelta(hours=1))
    with f.acting(user, org), unit_of_work() as s:
        row = CalendarEvent(user_id=user.id if user else None, **fields)
        s.add(row)
    return row


_windows = itertools.count()


def make_leave(org, user, start: date | None = None, end: date | None = None, **fields):
    """A pending leave request (by default three days in a window of its own: never overlapping)."""
    from app.work.models import LeaveRequest

    if start is None:
        start = date(2031, 1, 6) + timedelta(days=7 * next(_windows))
        end = end or start + timedelta(days=2)

    with f.acting(user, org), unit_of_work() as s:
        row = LeaveRequest(user_id=user.id, start_date=start, end_date=end, **fields)
        s.add(row)
    return row

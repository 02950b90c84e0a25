"""What a calendar shows for a range: calendar entries (meetings, site visits, deadlines — those
of assignments included — and leave) and the event company's events (app/events), as plain
entries for the API, the month/week page and the iCalendar feed. One SELECT per source; an
entry lasts at most MAX_EVENT_DAYS, so each reads a bounded slice of its start index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.core.errors import invalid, valid_id
from app.core.history import plain
from app.core.scope import capability
from app.extensions import db
from app.work.models import CalendarEvent
from app.work.models.calendar import MAX_EVENT_DAYS, TYPE_LABELS

MAX_RANGE_DAYS = 62
LIMIT = 2000


@dataclass
class Entry:
    kind: str  # site_visit | deadline | meeting | leave | event
    title: str
    start: datetime
    end: datetime
    all_day: bool
    user_id: int | None
    username: str | None
    uid: str
    assignment_id: int | None = None
    event_id: int | None = None
    entry_id: int | None = None
    location: str | None = None

    @property
    def label(self) -> str:
        return TYPE_LABELS.get(self.kind, "Event")

    def on(self, day: date) -> bool:
        start, end = datetime.combine(day, time()), datetime.combine(day + timedelta(days=1), time())
        return self.start < end and self.end > start

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "title": self.title,
            "start": plain(self.start),
            "end": plain(self.end),
            "all_day": self.all_day,
            "user_id": self.user_id,
            "username": self.username,
            "assignment_id": self.assignment_id,
            "event_id": self.event_id,
            "calendar_event_id": self.entry_id,
            "location": self.location,
        }


def parse_range(raw_start: str | None, raw_end: str | None, default: tuple[date, date]) -> tuple[datetime, datetime]:
    """[start, end) from ISO dates or date-times (422 for anything else or a range over 62 days)."""

    def parse(raw: str | None, field: str, fallback: date) -> datetime:
        if not raw:
            return datetime.combine(fallback, time())
        try:
            return datetime.fromisoformat(raw.strip()).replace(tzinfo=None)
        except ValueError:
            raise invalid(field, "A date (2026-03-01) or a date and time (2026-03-01T09:00).") from None

    start, end = parse(raw_start, "start", default[0]), parse(raw_end, "end", default[1])
    if end <= start:
        raise invalid("end", "Must be after the start.")
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        raise invalid("end", f"At most {MAX_RANGE_DAYS} days at a time.")
    return start, end


def parse_user(raw: str | None) -> int | None:
    if not raw:
        return None
    value = int(raw) if raw.strip().isdigit() else None
    if not valid_id(value):
        raise invalid("user", "A user id.")
    return value


def entries(start: datetime, end: datetime, user_id: int | None = None) -> list[Entry]:
    """Everything the acting user may see in [start, end), of one person or (None) of everyone
    they see: a user without can_edit_all on CalendarEvent sees only their own entries."""
    stmt = (
        sa.select(CalendarEvent)
        .where(
            CalendarEvent.archived_at.is_(None),
            CalendarEvent.start >= start - timedelta(days=MAX_EVENT_DAYS),
            CalendarEvent.start < end,
            CalendarEvent.end > start,
        )
        .order_by(CalendarEvent.start, CalendarEvent.id)
        .limit(LIMIT)
    )
    if user_id is not None:
        stmt = stmt.where(CalendarEvent.user_id == user_id)
    out = [
        Entry(
            e.type,
            e.title,
            e.start,
            e.end,
            e.all_day,
            e.user_id,
            e.user.username if e.user else None,
            f"entry-{e.id}@opshub",
            e.assignment_id,
            entry_id=e.id,
            location=e.location,
        )
        for e in db.session.scalars(stmt).unique()
    ]
    if capability("can_read", "Event"):
        out += _events(start, end, user_id)
    out.sort(key=lambda e: (e.start, e.uid))
    return out


def _events(start: datetime, end: datetime, user_id: int | None) -> list[Entry]:
    from app.events.models import Event, events_between

    stmt = events_between(start, end).limit(LIMIT)
    if user_id is not None:
        stmt = stmt.where(Event.support_id == user_id)
    return [
        Entry(
            "event",
            e.name,
            e.start,
            e.end,
            False,
            e.support_id,
            e.support.username if e.support else None,
            f"event-{e.id}@opshub",
            event_id=e.id,
            location=e.location,
        )
        for e in db.session.scalars(stmt).unique()
    ]

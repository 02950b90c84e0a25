"""The iCalendar feed of one person (RFC 5545, written by the `icalendar` package): what their
calendar page shows from 30 days back to 180 days ahead. Subscribed to through a secret URL
(`/calendar/feed/<token>.ics`) that its owner can rotate; the token is stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from icalendar import Calendar
from icalendar import Event as IcsEvent

from app.core.uow import unit_of_work
from app.extensions import db
from app.work.calendar import entries
from app.work.models import CalendarFeedToken

PAST_DAYS, FUTURE_DAYS = 30, 180


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def rotate(user_id: int, organization_id: int) -> str:
    """A new secret token for the user's feed in this organization; the previous URL stops
    working. Returned once: only its hash is kept."""
    token = secrets.token_urlsafe(32)
    with unit_of_work("calendar_feed") as session:
        row = session.scalar(
            sa.select(CalendarFeedToken).where(
                CalendarFeedToken.user_id == user_id, CalendarFeedToken.organization_id == organization_id
            )
        )
        if row is None:
            session.add(CalendarFeedToken(user_id=user_id, organization_id=organization_id, token_hash=_hash(token)))
        else:
            row.token_hash = _hash(token)
            row.created_at = datetime.now(UTC).replace(tzinfo=None)
    return token


def has_feed(user_id: int, organization_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(CalendarFeedToken.id).where(
                CalendarFeedToken.user_id == user_id, CalendarFeedToken.organization_id == organization_id
            )
        )
        is not None
    )


def owner_of(token: str) -> CalendarFeedToken | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(sa.select(CalendarFeedToken).where(CalendarFeedToken.token_hash == _hash(token)))


def render(user_id: int, name: str) -> bytes:
    """The feed, for the acting user (the token's owner, in its organization)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    start = datetime(now.year, now.month, now.day) - timedelta(days=PAST_DAYS)
    cal = Calendar()
    cal.add("prodid", "-//OpsHub//Calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"OpsHub — {name}")
    for offset in range(0, PAST_DAYS + FUTURE_DAYS, 60):  # the calendar reads ranges of at most 62 days
        lo = start + timedelta(days=offset)
        hi = min(lo + timedelta(days=60), start + timedelta(days=PAST_DAYS + FUTURE_DAYS))
        for entry in entries(lo, hi, user_id):
            if entry.start < lo:
                continue  # listed by the range it starts in
            event = IcsEvent()
            event.add("uid", entry.uid)
            event.add("summary", entry.title)
            event.add("dtstamp", now.replace(tzinfo=UTC))
            if entry.all_day:
                event.add("dtstart", entry.start.date())
                event.add("dtend", entry.end.date())
            else:
                event.add("dtstart", entry.start)
                event.add("dtend", entry.end)
            event.add("categories", [entry.label])
            if entry.location:
                event.add("location", entry.location)
            cal.add_component(event)
    return cal.to_ical()

"""Calendar entries, leave requests and the secret calendar feed tokens (SPEC §7).

* `CalendarEvent` (type `site_visit | deadline | meeting | leave`): people enter meetings, site
  visits and other deadlines (`source` manual); an open assignment's due date is an entry of its
  own (`source` deadline) and an approved leave request's working days are entries too (`source`
  leave). Those two follow their assignment or leave request and are changed only through it.
  A user without `can_edit_all` on CalendarEvent sees only their own entries.
* `LeaveRequest` (user, from, to, reason, status `pending → approved | rejected`, or `cancelled`
  by its requester): two pending or approved requests of one user never overlap (409).
* `CalendarFeedToken`: the hash of a user's secret iCalendar feed URL (rotatable).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import object_session, relationship

from app.core.context import UNSCOPED
from app.core.errors import Conflict, invalid
from app.core.lifecycle import Lifecycle
from app.core.models import AssignedScope, BusinessModel, committed, pending_fk, utcnow

EVENT_TYPES = ("site_visit", "deadline", "meeting", "leave")
SOURCES = ("manual", "deadline", "leave")
MAX_EVENT_DAYS = 31  # an entry lasts at most this long: a range query reads a bounded slice
MAX_LEAVE_DAYS = 366
LEAVE_STATUSES = ("pending", "approved", "rejected", "cancelled")
TYPE_LABELS = {"site_visit": "Site visit", "deadline": "Deadline", "meeting": "Meeting", "leave": "Leave"}
DERIVED_FLAG = "_opshub_derived_write"


def _changed(obj: Any, attr: str) -> bool:
    return sa.inspect(obj).attrs[attr].history.has_changes()


class CalendarEvent(AssignedScope, BusinessModel):
    __tablename__ = "calendar_event"
    __scope_resource__ = "CalendarEvent"
    __lookup_column__ = "title"
    __owner_column__ = "user_id"
    __not_reverted__ = frozenset({"source", "leave_request_id"})
    __table_args__ = (
        # the calendar reads a range: start within [from - MAX_EVENT_DAYS, to)
        sa.Index("ix_calendar_event_org_start", "organization_id", "start", "id"),
        sa.Index("ix_calendar_event_user_start", "user_id", "start", "id"),
        sa.Index("ix_calendar_event_assignment", "assignment_id", "source"),
        sa.Index("ix_calendar_event_leave_request", "leave_request_id"),
        sa.CheckConstraint(f"type IN {EVENT_TYPES!r}", name="type_known"),
        sa.CheckConstraint(f"source IN {SOURCES!r}", name="source_known"),
        sa.CheckConstraint('"end" > start', name="ends_after_start"),
    )

    type = sa.Column(sa.String(20), nullable=False, default="meeting")
    title = sa.Column(sa.String(200), nullable=False)
    start = sa.Column(sa.DateTime, nullable=False)
    end = sa.Column(sa.DateTime, nullable=False)
    all_day = sa.Column(sa.Boolean, nullable=False, default=False)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    assignment_id = sa.Column(sa.Integer, sa.ForeignKey("assignment.id"))
    assignment = relationship("Assignment", back_populates="calendar_events", lazy="select")
    leave_request_id = sa.Column(sa.Integer, sa.ForeignKey("leave_request.id"))
    leave_request = relationship("LeaveRequest", back_populates="events", lazy="select")
    location = sa.Column(sa.String(200))
    notes = sa.Column(sa.Text)
    source = sa.Column(sa.String(20), nullable=False, default="manual")

    @classmethod
    def assigned_criteria(cls, user_id: int) -> sa.ColumnElement[bool]:
        return cls.user_id == user_id

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type or "", self.type or "")

    def normalize(self) -> None:
        self.type = self.type or "meeting"
        self.source = self.source or "manual"
        self.all_day = bool(self.all_day)

    def validate(self) -> None:
        if self.type not in EVENT_TYPES:
            raise invalid("type", f"One of: {', '.join(EVENT_TYPES)}.")
        if self.source not in SOURCES:
            raise invalid("source", f"One of: {', '.join(SOURCES)}.")
        if not (self.title or "").strip():
            raise invalid("title", "Required.")
        if self.start is None:
            raise invalid("start", "Required.")
        if self.end is None:
            raise invalid("end", "Required.")
        if self.end <= self.start:
            raise invalid("end", "Must be after the start.")
        if self.end - self.start > timedelta(days=MAX_EVENT_DAYS):
            raise invalid("end", f"An entry lasts at most {MAX_EVENT_DAYS} days.")
        if self.source == "manual" and self.type == "leave":
            raise invalid("type", "Leave comes from an approved leave request.")

    def check_rules(self, session) -> None:
        derived = getattr(self, DERIVED_FLAG, False)
        if self.source != "manual" and not derived:
            if self.id is None or any(
                _changed(self, a) for a in ("type", "title", "start", "end", "user_id", "assignment_id", "source")
            ):
                raise Conflict(self._follows())
        elif self.id is not None and _changed(self, "source") and committed(self, "source") != "manual":
            raise Conflict(self._follows())

    def _follows(self) -> str:
        what = "leave request" if (self.source == "leave" or self.leave_request_id) else "assignment"
        return f"This entry follows its {what}: change the {what} instead."

    def before_delete(self) -> None:
        if self.source == "manual" or getattr(self, DERIVED_FLAG, False):
            return
        session = object_session(self)
        parent = self.assignment if self.source == "deadline" else self.leave_request
        if session is None or parent is None or parent not in session.deleted:
            raise Conflict(self._follows())

    def __repr__(self) -> str:
        return self.title or f"Entry {self.id}"


def sync_deadline(session, assignment) -> None:
    """Keep an assignment's deadline entry in step with it: on the assignee's calendar while the
    assignment is open, not archived and has a due date."""
    from app.work.models.assignment import OPEN_STATUSES

    watched = ("due_date", "assignee_id", "assignee", "status", "archived_at", "code", "address")
    if assignment.id is not None and not any(_changed(assignment, a) for a in watched):
        return
    user_id = pending_fk(assignment, "assignee_id")
    wanted = (
        assignment.due_date is not None
        and user_id is not None
        and (assignment.status or "pending") in OPEN_STATUSES
        and assignment.archived_at is None
    )
    existing = None
    if assignment.id is not None:
        with session.no_autoflush:
            existing = session.scalar(
                sa.select(CalendarEvent)
                .where(CalendarEvent.assignment_id == assignment.id, CalendarEvent.source == "deadline")
                .execution_options(**{UNSCOPED: True})
            )
    if existing is None and not wanted:
        return
    if existing is not None and not wanted:
        setattr(existing, DERIVED_FLAG, True)
        session.delete(existing)
        return
    start = datetime.combine(assignment.due_date, time())
    title = f"Due: {assignment.code}" + (f" · {assignment.address}" if assignment.address else "")
    values = {"user_id": user_id, "start": start, "end": start + timedelta(days=1), "title": title[:200]}
    if existing is None:
        existing = CalendarEvent(
            organization_id=assignment.organization_id,
            assignment=assignment,
            type="deadline",
            source="deadline",
            all_day=True,
            **values,
        )
        session.add(existing)
    else:
        for key, value in values.items():
            if getattr(existing, key) != value:
                setattr(existing, key, value)
    setattr(existing, DERIVED_FLAG, True)


LEAVE_STATUS = Lifecycle(
    "status",
    LEAVE_STATUSES,
    resource="LeaveRequest",
    moves={"pending": ("approved", "rejected", "cancelled"), "approved": ("cancelled",)},
    initial="pending",
    noun="leave request",
)


class LeaveRequest(AssignedScope, BusinessModel):
    __tablename__ = "leave_request"
    __scope_resource__ = "LeaveRequest"
    __lookup_column__ = "reason"
    __owner_column__ = "user_id"
    __lifecycles__ = (LEAVE_STATUS,)
    __not_reverted__ = frozenset({"status", "decided_by_id", "decided_at", "user_id"})
    __table_args__ = (
        sa.Index("ix_leave_request_user_dates", "user_id", "start_date", "end_date"),
        sa.Index("ix_leave_request_org_start", "organization_id", "start_date", "id"),
        sa.Index("ix_leave_request_active_status", "organization_id", "status", "start_date"),
        sa.CheckConstraint(f"status IN {LEAVE_STATUSES!r}", name="status_known"),
        sa.CheckConstraint("end_date >= start_date", name="ends_after_start"),
    )

    user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"), nullable=False)
    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    start_date = sa.Column(sa.Date, nullable=False)
    end_date = sa.Column(sa.Date, nullable=False)
    reason = sa.Column(sa.String(500))
    status = sa.Column(sa.String(20), nullable=False, default="pending")
    decided_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined")
    decided_at = sa.Column(sa.DateTime)

    events = relationship("CalendarEvent", back_populates="leave_request", cascade="all, delete", lazy="select")

    @classmethod
    def assigned_criteria(cls, user_id: int) -> sa.ColumnElement[bool]:
        return cls.user_id == user_id

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1 if self.start_date and self.end_date else 0

    def working_days(self) -> list[date]:
        """The days an approved request puts on the calendar: Monday to Friday."""
        out, day = [], self.start_date
        while day <= self.end_date:
            if day.weekday() < 5:
                out.append(day)
            day += timedelta(days=1)
        return out

    def normalize(self) -> None:
        if self.id is None:
            self.status = self.status or "pending"

    def validate(self) -> None:
        if self.start_date is None:
            raise invalid("start_date", "Required.")
        if self.end_date is None:
            raise invalid("end_date", "Required.")
        if self.end_date < self.start_date:
            raise invalid("end_date", "Cannot be before the first day.")
        if self.days > MAX_LEAVE_DAYS:
            raise invalid("end_date", f"At most {MAX_LEAVE_DAYS} days in one request.")
        if self.status not in LEAVE_STATUSES:
            raise invalid("status", f"One of: {', '.join(LEAVE_STATUSES)}.")

    def check_rules(self, session) -> None:
        if self.id is not None and committed(self, "status") != "pending":
            moved = [a for a in ("start_date", "end_date", "user_id") if _changed(self, a)]
            if moved and any(committed(self, a) != getattr(self, a) for a in moved):
                raise Conflict(f"This leave request is {committed(self, 'status')}: its dates no longer change.")
        if self.status not in ("pending", "approved"):
            return
        watched = ("start_date", "end_date", "status", "user_id", "archived_at")
        if self.id is not None and not any(_changed(self, a) for a in watched):
            return
        user_id = pending_fk(self, "user_id")
        with session.no_autoflush:
            other = session.execute(
                sa.select(LeaveRequest.id, LeaveRequest.start_date, LeaveRequest.end_date, LeaveRequest.status)
                .where(
                    LeaveRequest.organization_id == self.organization_id,
                    LeaveRequest.user_id == user_id,
                    LeaveRequest.status.in_(("pending", "approved")),
                    LeaveRequest.archived_at.is_(None),
                    LeaveRequest.id != (self.id or -1),
                    LeaveRequest.start_date <= self.end_date,
                    LeaveRequest.end_date >= self.start_date,
                )
                .limit(1)
                .execution_options(**{UNSCOPED: True})
            ).first()
        if other is not None:
            raise Conflict(
                f"Overlaps leave request #{other.id} ({other.start_date} to {other.end_date}, {other.status}).",
                {"start_date": [f"Overlaps request #{other.id}."]},
            )

    def __repr__(self) -> str:
        who = self.user.username if self.user is not None else "?"
        return f"Leave {who} {self.start_date} to {self.end_date}"


class CalendarFeedToken(Model):
    """The hash of a user's secret calendar feed URL in one organization (bookkeeping, like the
    number counters: not versioned). Rotating replaces the hash: the old URL stops working."""

    __tablename__ = "calendar_feed_token"
    __table_args__ = (sa.UniqueConstraint("user_id", "organization_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    organization_id = sa.Column(sa.Integer, sa.ForeignKey("organization.id", ondelete="CASCADE"), nullable=False)
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

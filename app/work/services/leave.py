"""Leave requests: approve (HR; never one's own: 403), reject, cancel (only its requester). An
approved request puts a `leave` entry on the calendar for each of its working days; cancelling
it takes them off."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from app.core import context
from app.core.errors import Conflict, Forbidden
from app.core.models import utcnow
from app.core.uow import unit_of_work
from app.work.models import LEAVE_STATUS, CalendarEvent, LeaveRequest
from app.work.models.calendar import DERIVED_FLAG


def _decide(request: LeaveRequest, status: str, actor: Any) -> LeaveRequest:
    with unit_of_work(actor=actor) as session:
        if request.user_id == context.current_user_id():
            raise Forbidden("You cannot decide your own leave request; someone else in HR does.")
        if request.status != "pending":
            raise Conflict(f"This leave request is already {request.status}.")
        request.status = status
        request.decided_by_id = context.current_user_id()
        request.decided_at = utcnow()
        if status == "approved":
            name = request.user.username if request.user else "leave"
            for day in request.working_days():
                start = datetime.combine(day, time())
                event = CalendarEvent(
                    organization_id=request.organization_id,
                    type="leave",
                    source="leave",
                    leave_request=request,
                    user_id=request.user_id,
                    title=f"Leave: {name}",
                    start=start,
                    end=start + timedelta(days=1),
                    all_day=True,
                )
                setattr(event, DERIVED_FLAG, True)
                session.add(event)
    return request


def approve(request: LeaveRequest, *, actor: Any = None) -> LeaveRequest:
    return _decide(request, "approved", actor)


def reject(request: LeaveRequest, *, actor: Any = None) -> LeaveRequest:
    return _decide(request, "rejected", actor)


def cancel(request: LeaveRequest, *, actor: Any = None) -> LeaveRequest:
    with unit_of_work(actor=actor) as session:
        if request.user_id != context.current_user_id():
            raise Forbidden("Only the person who asked for this leave can cancel it.")
        if request.status not in ("pending", "approved"):
            raise Conflict(f"This leave request is already {request.status}.")
        for event in list(request.events):
            setattr(event, DERIVED_FLAG, True)
            session.delete(event)
        LEAVE_STATUS.check(request, request.status, "cancelled")
        request.status = "cancelled"
    return request

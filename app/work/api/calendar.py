"""/api/v1/calendar-events/, /api/v1/leave-requests/, the calendar range
(`GET /api/v1/calendar/?start=&end=&user=`, the feed URL) and the workload
(`GET /api/v1/workload/?from=&to=`)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import request, url_for
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect

from app.core import context
from app.core.api import OpsBaseApi, OpsModelRestApi, domain_errors
from app.core.filters import OwnedByMe
from app.core.interface import OpsInterface
from app.work import calendar, ical, workload
from app.work.columns import CALENDAR_EVENT, LEAVE_REQUEST
from app.work.models import CalendarEvent, LeaveRequest


class CalendarEventApi(OpsModelRestApi):
    resource_name = "calendar-events"
    class_permission_name = "CalendarEvent"
    datamodel = OpsInterface(CalendarEvent)
    columns = CALENDAR_EVENT
    search_filters = {"user": [OwnedByMe]}


class LeaveRequestApi(OpsModelRestApi):
    resource_name = "leave-requests"
    class_permission_name = "LeaveRequest"
    datamodel = OpsInterface(LeaveRequest)
    columns = LEAVE_REQUEST
    search_filters = {"user": [OwnedByMe]}


def this_month() -> tuple[date, date]:
    first = date.today().replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1)


class CalendarApi(OpsBaseApi):
    resource_name = "calendar"
    class_permission_name = "CalendarEvent"
    method_permission_name = {"range": "read", "feed": "read"}
    openapi_spec_tag = "Calendar"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @domain_errors
    def range(self):
        """Calendar entries in [start, end) (at most 62 days; default this month): meetings, site
        visits, assignment deadlines, leave, and the event company's events; of one person with
        `user`, else of everyone the caller sees (their own only, without can_edit_all).
        ---
        get:
          parameters:
          - {in: query, name: start, schema: {type: string}, description: "2026-03-01 or 2026-03-01T09:00"}
          - {in: query, name: end, schema: {type: string}}
          - {in: query, name: user, schema: {type: integer}}
          responses:
            200:
              description: Entries
            422:
              $ref: '#/components/responses/422'
        """
        start, end = calendar.parse_range(request.args.get("start"), request.args.get("end"), this_month())
        user_id = calendar.parse_user(request.args.get("user"))
        found = calendar.entries(start, end, user_id)
        return self.response(
            200, start=start.isoformat(), end=end.isoformat(), result=[e.as_dict() for e in found], count=len(found)
        )

    @expose("/feed", methods=["POST"])
    @protect()
    @safe
    @domain_errors
    def feed(self):
        """A new secret iCalendar feed URL for the caller in this organization (the previous one
        stops working). Shown once: keep it.
        ---
        post:
          responses:
            201:
              description: The feed URL
        """
        token = ical.rotate(context.current_user_id(), context.current_org_id())
        return self.response(201, url=url_for("CalendarView.feed", token=token, _external=True))


class WorkloadApi(OpsBaseApi):
    resource_name = "workload"
    class_permission_name = "Assignment"
    method_permission_name = {"get": "read"}
    openapi_spec_tag = "Calendar"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @domain_errors
    def get(self):
        """Open assignments per valuer per week over [from, to] (at most 26 weeks; default six
        weeks from this Monday), net of leave: capacity, leave days, open, free.
        ---
        get:
          parameters:
          - {in: query, name: from, schema: {type: string, format: date}}
          - {in: query, name: to, schema: {type: string, format: date}}
          responses:
            200:
              description: Workload
            422:
              $ref: '#/components/responses/422'
        """
        start, end = workload.parse_dates(request.args.get("from"), request.args.get("to"))
        return self.response(200, result=workload.workload(start, end))

"""Calendar pages: the entries and leave requests (generated pages), the month/week calendar
(server-side HTML and CSS, no script), its iCalendar feed, and the workload."""

from __future__ import annotations

import calendar as pycal
from datetime import date, datetime, time, timedelta

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from markupsafe import Markup
from wtforms import BooleanField

from app.core import context
from app.core.errors import DomainError
from app.core.fields import choice_field
from app.core.interface import OpsInterface
from app.core.scope import capability
from app.core.views import OpsModelView
from app.extensions import db
from app.work import calendar, ical, workload
from app.work.columns import CALENDAR_EVENT, LEAVE_REQUEST
from app.work.models import CalendarEvent, LeaveRequest
from app.work.models.calendar import EVENT_TYPES, TYPE_LABELS
from app.work.views.assignments import members

LEAVE_CSS = {"pending": "warning", "approved": "success", "rejected": "danger", "cancelled": "default"}


def leave_badge(value: str | None) -> Markup:
    return Markup('<span class="label label-{} leave-status">{}</span>').format(
        LEAVE_CSS.get(value or "", "default"), value
    )


class CalendarEventView(OpsModelView):
    route_base = "/calendar-events"
    class_permission_name = "CalendarEvent"
    datamodel = OpsInterface(CalendarEvent)
    columns = CALENDAR_EVENT
    list_title = show_title = "Calendar entries"
    add_title, edit_title = "New calendar entry", "Edit calendar entry"
    add_form_extra_fields = {
        "type": choice_field(
            "Type", choices=[(t, TYPE_LABELS[t]) for t in EVENT_TYPES if t != "leave"], default="meeting"
        ),
        "all_day": BooleanField("All day", default=False),
    }
    edit_form_extra_fields = add_form_extra_fields


class LeaveRequestView(OpsModelView):
    route_base = "/leave-requests"
    class_permission_name = "LeaveRequest"
    datamodel = OpsInterface(LeaveRequest)
    columns = LEAVE_REQUEST
    list_title = show_title = "Leave requests"
    add_title, edit_title = "Ask for leave", "Edit leave request"
    formatters_columns = {"status": leave_badge}


def _day(raw: str | None) -> date:
    try:
        return date.fromisoformat(raw) if raw else date.today()
    except ValueError:
        return date.today()


def month_grid(day: date) -> tuple[date, date]:
    """Monday on or before the 1st to the Sunday after the month's last day."""
    first = day.replace(day=1)
    last = first.replace(day=pycal.monthrange(first.year, first.month)[1])
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


class CalendarView(BaseView):
    """`/calendar/?view=month|week&date=YYYY-MM-DD&user=<id>|all`."""

    route_base = "/calendar"
    class_permission_name = "CalendarEvent"
    method_permission_name = {"index": "read", "rotate_feed": "read"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        view = "week" if request.args.get("view") == "week" else "month"
        day = _day(request.args.get("date"))
        me = context.current_user_id()
        may_switch = capability("can_edit_all", "CalendarEvent")
        raw_user = request.args.get("user", "")
        user_id: int | None = me
        if may_switch and raw_user == "all":
            user_id = None
        elif may_switch and raw_user.isdigit():
            user_id = int(raw_user)
        if view == "month":
            first, last = month_grid(day)
            prev_day = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
            next_day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
            title = day.strftime("%B %Y")
        else:
            first = day - timedelta(days=day.weekday())
            last = first + timedelta(days=6)
            prev_day, next_day = first - timedelta(weeks=1), first + timedelta(weeks=1)
            title = f"Week of {first.strftime('%d %B %Y')}"
        found = calendar.entries(
            datetime.combine(first, time()), datetime.combine(last + timedelta(days=1), time()), user_id
        )
        days = []
        cursor = first
        while cursor <= last:
            days.append((cursor, [e for e in found if e.on(cursor)]))
            cursor += timedelta(days=1)
        weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
        people = members(context.current_org_id() or -1) if may_switch else []
        user_arg = "all" if user_id is None else str(user_id)
        return self.render_template(
            "work/calendar.html",
            view=view,
            day=day,
            title=title,
            weeks=weeks,
            entries=found,
            month=day.month,
            today=date.today(),
            people=people,
            may_switch=may_switch,
            selected=user_arg,
            me=me,
            nav={
                "prev": url_for("CalendarView.index", view=view, date=prev_day.isoformat(), user=user_arg),
                "next": url_for("CalendarView.index", view=view, date=next_day.isoformat(), user=user_arg),
                "today": url_for("CalendarView.index", view=view, user=user_arg),
                "month": url_for("CalendarView.index", view="month", date=day.isoformat(), user=user_arg),
                "week": url_for("CalendarView.index", view="week", date=day.isoformat(), user=user_arg),
            },
            can_add=self.appbuilder.sm.has_access("can_write", "CalendarEvent"),
        )

    @expose("/feed/rotate", methods=["POST"])
    @has_access
    def rotate_feed(self):
        try:
            token = ical.rotate(context.current_user_id(), context.current_org_id())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for("CalendarView.index"))
        url = url_for("CalendarView.feed", token=token, _external=True)
        flash(
            Markup(
                "Your calendar feed: <code id='feed-url'>{}</code> — add it to your calendar app as a subscription."
                " Keep it secret; a new one replaces it."
            ).format(url),
            "success",
        )
        return redirect(url_for("CalendarView.index"))

    @expose("/feed/<token>.ics")
    def feed(self, token: str):
        """No login: the secret token is the key. Its owner's calendar, as they would see it."""
        owner = ical.owner_of(token)
        if owner is None:
            abort(404)
        from flask_appbuilder.security.sqla.models import User

        user = db.session.get(User, owner.user_id)
        if user is None or not user.active:
            abort(404)
        with context.acting_as(owner.user_id, owner.organization_id):
            if not capability("can_read", "CalendarEvent"):
                abort(404)
            body = ical.render(owner.user_id, user.username)
        return Response(
            body,
            mimetype="text/calendar",
            headers={"Content-Disposition": 'inline; filename="opshub.ics"', "Cache-Control": "private, no-store"},
        )


class WorkloadView(BaseView):
    """`/workload/?from=&to=`: who can take the next job."""

    route_base = "/workload"
    class_permission_name = "Assignment"
    method_permission_name = {"index": "read"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        try:
            start, end = workload.parse_dates(request.args.get("from"), request.args.get("to"))
        except DomainError as exc:
            flash(exc.message, "danger")
            start, end = workload.parse_dates(None, None)
        report = workload.workload(start, end)
        return self.render_template("work/workload.html", report=report, start=start, end=end)

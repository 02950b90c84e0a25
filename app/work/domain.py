"""Work assignments (SPEC §7): banks, branches and property types; assignments with their
lifecycle, messages, documents, tasks, timeline and invoice; calendar entries, leave requests,
the month/week calendar with its iCalendar feed, and the workload."""

from __future__ import annotations

from app.core.registry import Domain, Menu, Page, Resource
from app.core.roles import ARCHIVE, FULL, READ, RECORD_PERMISSIONS, ROLLBACK, WRITE
from app.core.uow import ConstraintMessage
from app.work import actions, seed
from app.work.api.assignments import AssignmentApi, DocumentApi
from app.work.api.calendar import CalendarApi, CalendarEventApi, LeaveRequestApi, WorkloadApi
from app.work.api.master import BankApi, BranchApi, PropertyTypeApi
from app.work.models import Assignment, Bank, Branch, CalendarEvent, LeaveRequest, PropertyType
from app.work.views.assignments import AssignmentView
from app.work.views.calendar import CalendarEventView, CalendarView, LeaveRequestView, WorkloadView
from app.work.views.master import BankView, BranchView, PropertyTypeView

MENU = "Work"
ASSIGNMENT_ACTIONS = ["can_reassign", "can_invoice", "can_delete", *ROLLBACK]
MASTER = ("Bank", "Branch", "PropertyType")
LEAVE_AND_CALENDAR = {"CalendarEvent": WRITE, "LeaveRequest": WRITE}  # one's own entries and leave

DOMAIN = Domain(
    name="work",
    label="Work",
    resources=(
        Resource(
            "Assignment",
            Assignment,
            AssignmentView,
            AssignmentApi,
            Menu("Assignments", MENU, "fa-briefcase", 10),
            (*RECORD_PERMISSIONS, *ROLLBACK),
            actions=(actions.TRANSITION, actions.REASSIGN, actions.INVOICE, actions.MESSAGE, actions.DELETE),
        ),
        Resource(
            "CalendarEvent",
            CalendarEvent,
            CalendarEventView,
            CalendarEventApi,
            Menu("Calendar entries", MENU, "fa-calendar-o", 30),
            RECORD_PERMISSIONS,
        ),
        Resource(
            "LeaveRequest",
            LeaveRequest,
            LeaveRequestView,
            LeaveRequestApi,
            Menu("Leave requests", MENU, "fa-plane", 40),
            RECORD_PERMISSIONS,
            actions=(actions.LEAVE_APPROVE, actions.LEAVE_REJECT, actions.LEAVE_CANCEL),
        ),
        Resource("Bank", Bank, BankView, BankApi, Menu("Banks", MENU, "fa-university", 60), RECORD_PERMISSIONS),
        Resource(
            "Branch", Branch, BranchView, BranchApi, Menu("Branches", MENU, "fa-map-marker", 70), RECORD_PERMISSIONS
        ),
        Resource(
            "PropertyType",
            PropertyType,
            PropertyTypeView,
            PropertyTypeApi,
            Menu("Property types", MENU, "fa-home", 80),
            RECORD_PERMISSIONS,
        ),
    ),
    pages=(
        Page(CalendarView, Menu("Calendar", MENU, "fa-calendar", 20), resource="CalendarEvent"),
        Page(WorkloadView, Menu("Workload", MENU, "fa-tasks", 50), resource="Assignment"),
    ),
    apis=(DocumentApi, CalendarApi, WorkloadApi),
    grants={
        "Manager": {
            "Assignment": [*FULL, *ASSIGNMENT_ACTIONS],
            "CalendarEvent": FULL,
            "LeaveRequest": [*FULL, "can_approve"],
            **{m: FULL for m in MASTER},
        },
        # their own assignments (no can_edit_all): moved along the lifecycle, documents, messages
        "Valuer": {"Assignment": WRITE, **LEAVE_AND_CALENDAR, **{m: READ for m in MASTER}},
        # leave approvals; everyone's calendar and leave
        "HR": {
            "CalendarEvent": [*WRITE, "can_edit_all"],
            "LeaveRequest": [*WRITE, *ARCHIVE, "can_revert", "can_edit_all", "can_approve"],
        },
        # the invoices of every assignment
        "Finance": {"Assignment": [*READ, "can_edit_all", "can_invoice"], **LEAVE_AND_CALENDAR, "Bank": READ},
        "Staff": LEAVE_AND_CALENDAR,
        "Commercial": LEAVE_AND_CALENDAR,
        "Support": LEAVE_AND_CALENDAR,
        "Viewer": {
            "Assignment": READ,
            "CalendarEvent": READ,
            "LeaveRequest": READ,
            **{m: READ for m in MASTER},
        },
    },
    seed=seed.seed,
    scale={"assignments": seed.scale_assignments},
    constraint_messages=(
        ConstraintMessage(
            "uq_assignment_organization_id_code",
            "assignment",
            ("organization_id", "code"),
            "This code was just given to another assignment; try again.",
        ),
    ),
)

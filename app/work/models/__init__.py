"""The work domain's models (SPEC §7): master data, assignments with their messages, documents
and activities, calendar entries, leave requests and calendar feed tokens. Importing this
package maps them all (core imports `app.work.models` before configuring the mappers)."""

from app.work.models.master import Bank, Branch, PropertyType  # noqa: F401, I001  (master data first)
from app.work.models.assignment import (  # noqa: F401
    ASSIGNMENT_STATUS,
    ASSIGNMENT_STATUSES,
    OPEN_STATUSES,
    Assignment,
    AssignmentActivity,
    AssignmentMessage,
    extend_other_domains,
)
from app.work.models.calendar import (  # noqa: F401
    EVENT_TYPES,
    LEAVE_STATUS,
    LEAVE_STATUSES,
    CalendarEvent,
    CalendarFeedToken,
    LeaveRequest,
)
from app.work.models.document import AssignmentDocument  # noqa: F401

extend_other_domains()

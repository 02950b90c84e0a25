"""Assignments (SPEC §7): code `VAL/<year>/<seq>` (gapless per organization and year, allocated
when the row is first written, whatever the entry point), client, bank and one of its branches,
property type, address, assignee, due date, fee, and a declared lifecycle
`pending → site_visit → processing → submitted → completed`, or `cancelled` from any open state.

Visibility: a user without `can_edit_all` on Assignment (a Valuer) sees only the assignments
assigned to them, and only their messages, documents, activities and tasks: row scopes applied by
the query hook of app/core/scope.py, like tenancy.

The assignment's deadline is a calendar entry kept in step with it in the same flush
(`propagate()`): on the assignee's calendar while the assignment is open and has a due date.
"""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.billing.models import Invoice
from app.core import context, numbering
from app.core.errors import Conflict, invalid
from app.core.lifecycle import Lifecycle
from app.core.models import (
    AssignedScope,
    AuditMixin,
    BusinessModel,
    TenantMixin,
    active_index,
    add_row_scope,
    committed,
    list_order_indexes,
    pending_fk,
    utcnow,
)
from app.core.money import DEFAULT_CURRENCY, MAX_AMOUNT, check_currency, check_decimal, format_amount
from app.crm.models import Task

SERIES = "VAL"
ASSIGNMENT_STATUSES = ("pending", "site_visit", "processing", "submitted", "completed", "cancelled")
OPEN_STATUSES = ("pending", "site_visit", "processing", "submitted")
ACTIVITY_KINDS = ("status_change", "reassign", "document", "invoice", "task", "system")
STATUS_LABELS = {"site_visit": "site visit"}


def _changed(obj: Any, attr: str) -> bool:
    return sa.inspect(obj).attrs[attr].history.has_changes()


def log_activity(session, assignment: Assignment, kind: str, body: str) -> None:
    """A line of the assignment's timeline, written in the flush that did it (stamped here:
    the flush guard may already have walked the new rows)."""
    user_id = context.current_user_id()
    session.add(
        AssignmentActivity(
            organization_id=assignment.organization_id or context.current_org_id(),
            created_by_id=user_id,
            updated_by_id=user_id,
            assignment=assignment,
            kind=kind,
            body=body,
        )
    )


def _moved(session, assignment: Assignment, changes: dict) -> None:
    old, new = changes["status"]
    label = STATUS_LABELS.get
    log_activity(session, assignment, "status_change", f"Status {label(old, old)} → {label(new, new)}")


ASSIGNMENT_STATUS = Lifecycle(
    "status",
    ASSIGNMENT_STATUSES,
    resource="Assignment",
    moves={
        "pending": ("site_visit", "cancelled"),
        "site_visit": ("processing", "cancelled"),
        "processing": ("submitted", "cancelled"),
        "submitted": ("completed", "cancelled"),
    },
    # one step back (a report sent back), for roles with can_rollback_stage
    rollbacks=frozenset({("site_visit", "pending"), ("processing", "site_visit"), ("submitted", "processing")}),
    initial="pending",
    noun="assignment",
    record=_moved,
    labels=STATUS_LABELS,
    refusal=lambda old, new: f"Your role may not send an assignment back from {old} to {new}; a manager can.",
)


def _assigned_ids(user_id: int) -> sa.Select:
    table = Assignment.__table__
    return sa.select(table.c.id).where(table.c.assignee_id == user_id)


class Assignment(AssignedScope, BusinessModel):
    __tablename__ = "assignment"
    __scope_resource__ = "Assignment"
    __lookup_column__ = "code"
    __lifecycles__ = (ASSIGNMENT_STATUS,)
    __not_reverted__ = frozenset({"code", "status", "assignee_id"})
    __table_args__ = (
        *list_order_indexes("assignment", "code"),
        *list_order_indexes("assignment", "due_date"),
        sa.UniqueConstraint("organization_id", "code"),
        # a valuer's list (their assignments, newest first) and its count, from the index alone
        active_index("ix_assignment_active_assignee", "organization_id", "assignee_id", "code", "id"),
        sa.Index("ix_assignment_assignee_id", "assignee_id"),
        active_index("ix_assignment_active_workload", "organization_id", "status", "due_date", "assignee_id"),
        sa.Index("ix_assignment_client_id", "client_id"),
        sa.Index("ix_assignment_bank_id", "bank_id"),
        sa.Index("ix_assignment_branch_id", "branch_id"),
        sa.Index("ix_assignment_property_type_id", "property_type_id"),
        sa.CheckConstraint(f"status IN {ASSIGNMENT_STATUSES!r}", name="status_known"),
        sa.CheckConstraint("fee >= 0", name="fee_not_negative"),
    )

    code = sa.Column(sa.String(32), nullable=False)
    client_id = sa.Column(sa.Integer, sa.ForeignKey("client.id"), nullable=False)
    client = relationship("Client", foreign_keys=[client_id], lazy="joined")
    bank_id = sa.Column(sa.Integer, sa.ForeignKey("bank.id"))
    bank = relationship("Bank", foreign_keys=[bank_id], lazy="joined")
    branch_id = sa.Column(sa.Integer, sa.ForeignKey("branch.id"))
    branch = relationship("Branch", foreign_keys=[branch_id], lazy="joined")
    property_type_id = sa.Column(sa.Integer, sa.ForeignKey("property_type.id"))
    property_type = relationship("PropertyType", foreign_keys=[property_type_id], lazy="joined")
    address = sa.Column(sa.String(500))
    assignee_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    assignee = relationship("User", foreign_keys=[assignee_id], lazy="joined")
    due_date = sa.Column(sa.Date)
    fee = sa.Column(sa.Numeric(14, 2), nullable=False, default=0)
    currency = sa.Column(sa.String(3), nullable=False, default=DEFAULT_CURRENCY)
    status = sa.Column(sa.String(20), nullable=False, default="pending")
    notes = sa.Column(sa.Text)

    # removed with the assignment through the ORM, so that each removal is versioned
    messages = relationship("AssignmentMessage", back_populates="assignment", cascade="all, delete", lazy="select")
    documents = relationship("AssignmentDocument", back_populates="assignment", cascade="all, delete", lazy="select")
    activities = relationship("AssignmentActivity", back_populates="assignment", cascade="all, delete", lazy="select")
    calendar_events = relationship("CalendarEvent", back_populates="assignment", cascade="all, delete", lazy="select")

    @classmethod
    def assigned_criteria(cls, user_id: int) -> sa.ColumnElement[bool]:
        return cls.assignee_id == user_id

    # ---------------------------------------------------------------- derived
    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def fee_label(self) -> str:
        return format_amount(self.fee, self.currency)

    @property
    def status_label(self) -> str:
        return ASSIGNMENT_STATUS.label(self.status or "")

    def owner_user_ids(self, *, saved: bool) -> set[int]:
        """Without can_edit_all, a user changes only the assignments assigned to them."""
        owner = committed(self, "assignee_id") if saved else pending_fk(self, "assignee_id")
        return {owner} if owner is not None else set()

    # ---------------------------------------------------------------- rules
    def normalize(self) -> None:
        if self.id is None:
            self.status = self.status or "pending"
        self.currency = (self.currency or DEFAULT_CURRENCY).strip().upper()
        if self.fee is None or self.fee == "":
            self.fee = 0

    def validate(self) -> None:
        check_currency(self.currency)
        self.fee = check_decimal(self.fee, "fee", places=2, maximum=MAX_AMOUNT)
        if self.client_id is None and self.client is None:
            raise invalid("client", "Required.")
        if self.status not in ASSIGNMENT_STATUSES:
            raise invalid("status", f"Unknown status {self.status!r}; one of: {', '.join(ASSIGNMENT_STATUSES)}.")
        if not self.code:
            raise invalid("code", "Required.")

    def check_rules(self, session) -> None:
        if self.id is not None and _changed(self, "code") and committed(self, "code") not in (None, self.code):
            raise Conflict("An assignment's code never changes.", {"code": ["Cannot be changed."]})
        branch_id, bank_id = pending_fk(self, "branch_id"), pending_fk(self, "bank_id")
        if branch_id is None:
            return
        with session.no_autoflush:
            from app.work.models.master import Branch

            branch_bank = session.scalar(sa.select(Branch.bank_id).where(Branch.id == branch_id))
        if branch_bank is None:
            return  # the flush guard answers "not found in this organization"
        if bank_id is None:
            raise invalid("bank", "Choose the bank of this branch.")
        if branch_bank != bank_id:
            raise invalid("branch", "Not a branch of this bank.")

    def propagate(self, session, *, deleted: bool) -> None:
        """A new assignment takes the next code of its year; its deadline follows it on the
        assignee's calendar."""
        if deleted:
            return
        if self.id is None and not self.code:
            org_id = self.organization_id or context.current_org_id()
            year = (self.created_at or utcnow()).year
            self.code = numbering.format_number(SERIES, year, numbering.allocate(org_id, SERIES, year))
        from app.work.models.calendar import sync_deadline

        sync_deadline(session, self)

    def __repr__(self) -> str:
        return self.code or f"Assignment {self.id}"


class _AssignmentChild(AssignedScope):
    """Rows of one assignment: seen by those who see the assignment."""

    __scope_resource__ = "Assignment"

    @classmethod
    def assigned_criteria(cls, user_id: int) -> sa.ColumnElement[bool]:
        return cls.assignment_id.in_(_assigned_ids(user_id))


class AssignmentActivity(_AssignmentChild, TenantMixin, AuditMixin, Model):
    """A line of an assignment's timeline: a status change, a reassignment, a document, the
    invoice. Append-only; versioned like every write."""

    __tablename__ = "assignment_activity"
    __versioned__: ClassVar[dict] = {}
    __table_args__ = (
        sa.Index("ix_assignment_activity_assignment", "assignment_id", "id"),
        sa.CheckConstraint(f"kind IN {ACTIVITY_KINDS!r}", name="kind_known"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    assignment_id = sa.Column(sa.Integer, sa.ForeignKey("assignment.id", ondelete="CASCADE"), nullable=False)
    assignment = relationship("Assignment", back_populates="activities")
    kind = sa.Column(sa.String(20), nullable=False, default="system")
    body = sa.Column(sa.Text, nullable=False)

    def __repr__(self) -> str:
        return f"{self.kind}: {(self.body or '')[:40]}"


class AssignmentMessage(_AssignmentChild, TenantMixin, AuditMixin, Model):
    """A message of an assignment's thread; its author is `created_by`."""

    __tablename__ = "assignment_message"
    __versioned__: ClassVar[dict] = {}
    __table_args__ = (sa.Index("ix_assignment_message_assignment", "assignment_id", "id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    assignment_id = sa.Column(sa.Integer, sa.ForeignKey("assignment.id", ondelete="CASCADE"), nullable=False)
    assignment = relationship("Assignment", back_populates="messages")
    body = sa.Column(sa.Text, nullable=False)

    def validate(self) -> None:
        if not (self.body or "").strip():
            raise invalid("body", "Write a message.")

    def __repr__(self) -> str:
        return (self.body or "")[:40]


# the moves that bring a new assignment to each state (the seed and the tests use them)
PATH_FOR_TESTS = {
    "site_visit": ("site_visit",),
    "processing": ("site_visit", "processing"),
    "submitted": ("site_visit", "processing", "submitted"),
    "completed": ("site_visit", "processing", "submitted", "completed"),
    "cancelled": ("cancelled",),
}


def extend_other_domains() -> None:
    """Called once every model of this domain is defined (app/work/models/__init__.py): adding a
    relationship to an already mapped class may configure the mappers on the spot.

    Tasks (app/crm) can belong to an assignment and invoices (app/billing) be generated from one:
    both keep a plain integer `assignment_id` until this domain is installed, which makes each a
    real foreign key with its relation. A user who does not see an assignment does not see its
    tasks either (tasks without an assignment keep the CRM's visibility)."""
    if not Task.__table__.c.assignment_id.foreign_keys:
        Task.__table__.append_constraint(sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"]))
        Task.assignment = relationship("Assignment", foreign_keys=[Task.assignment_id], lazy="select")
        add_row_scope(
            Task,
            "Assignment",
            lambda user_id: sa.or_(Task.assignment_id.is_(None), Task.assignment_id.in_(_assigned_ids(user_id))),
        )
    if not Invoice.__table__.c.assignment_id.foreign_keys:
        Invoice.__table__.append_constraint(sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"]))
        Invoice.assignment = relationship("Assignment", foreign_keys=[Invoice.assignment_id], lazy="select")

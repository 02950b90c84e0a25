"""The CRM's models (SPEC §5): clients and contacts, leads and deals with their lifecycles, tasks
and activities. Single-row rules are `normalize()`/`validate()`; lifecycle moves are declared
(`LEAD_STATUS`, `DEAL_STATUS`, `DEAL_STAGE`) and applied by the flush guard; rules that read
other rows are `check_rules()`."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.errors import Conflict, invalid
from app.core.lifecycle import Lifecycle
from app.core.models import (
    AuditMixin,
    BusinessModel,
    TenantMixin,
    active_index,
    committed,
    list_order_indexes,
    pending_fk,
    utcnow,
)
from app.core.money import DEFAULT_CURRENCY, check_amount, check_currency, format_amount
from app.core.validators import check_email, check_url
from app.extensions import db


class Client(BusinessModel):
    __tablename__ = "client"
    __owner_column__ = "owner_id"
    __table_args__ = (
        *list_order_indexes("client", "name"),
        sa.Index("ix_client_owner_id", "owner_id"),
    )

    name = sa.Column(sa.String(200), nullable=False)
    email = sa.Column(sa.String(254))
    phone = sa.Column(sa.String(40))
    website = sa.Column(sa.String(254))
    address = sa.Column(sa.String(500))
    owner_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    owner = relationship("User", foreign_keys=[owner_id], lazy="joined")
    tags = sa.Column(sa.String(200))
    notes = sa.Column(sa.Text)

    contacts = relationship("Contact", back_populates="client", lazy="select", order_by="Contact.id")

    def validate(self) -> None:
        if not (self.name or "").strip():
            raise invalid("name", "Required.")
        check_email(self.email)
        check_url(self.website, "website")

    def before_archive(self) -> None:
        refuse_with_open_deals("client", Deal.client_id, self.id, "archive")

    def before_delete(self) -> None:
        refuse_with_open_deals("client", Deal.client_id, self.id, "delete")

    def __repr__(self) -> str:
        return self.name or f"Client {self.id}"


class Contact(BusinessModel):
    __lookup_column__ = "last_name"
    __tablename__ = "contact"
    __table_args__ = (
        *list_order_indexes("contact", "last_name"),
        sa.Index("ix_contact_client_id", "client_id"),
    )

    first_name = sa.Column(sa.String(100), nullable=False)
    last_name = sa.Column(sa.String(100), nullable=False)
    email = sa.Column(sa.String(254))
    phone = sa.Column(sa.String(40))
    title = sa.Column(sa.String(100))
    client_id = sa.Column(sa.Integer, sa.ForeignKey("client.id"), nullable=False)
    client = relationship("Client", back_populates="contacts", lazy="joined")

    def validate(self) -> None:
        if not (self.first_name or "").strip():
            raise invalid("first_name", "Required.")
        if not (self.last_name or "").strip():
            raise invalid("last_name", "Required.")
        if self.client_id is None and self.client is None:
            raise invalid("client", "Required.")
        check_email(self.email)

    def owner_user_ids(self, *, saved: bool) -> set[int]:
        """Owned through the client: the saved client's owner, or the new client's."""
        client_id = committed(self, "client_id") if saved else pending_fk(self, "client_id")
        client = db.session.get(Client, client_id) if client_id is not None else None
        return {client.owner_id} if client is not None and client.owner_id is not None else set()

    def before_archive(self) -> None:
        refuse_with_open_deals("contact", Deal.contact_id, self.id, "archive")

    def before_delete(self) -> None:
        refuse_with_open_deals("contact", Deal.contact_id, self.id, "delete")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def __repr__(self) -> str:
        return self.full_name


# ------------------------------------------------------------------ the pipeline (SPEC §5)
LEAD_STATUSES = ("new", "contacted", "qualified", "lost")
LEAD_SOURCES = ("web", "referral", "event", "email", "phone", "partner", "other")
DEAL_STAGES = ("qualification", "proposal", "negotiation", "closed")
OPEN_STAGES = DEAL_STAGES[:-1]
DEAL_STATUSES = ("open", "won", "lost")
ACTIVITY_KINDS = ("comment", "stage_change", "status_change", "system")


def _one_of(field: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise invalid(field, f"Unknown {field} {value!r}; one of: {', '.join(allowed)}.")


def _changed(obj: Any, attr: str) -> bool:
    return sa.inspect(obj).attrs[attr].history.has_changes()


def _log(session, obj: Any, kind: str, body: str, **links: int | None) -> None:
    """An activity written in the flush that changed `obj` (whatever the entry point), stamped
    here because the flush guard has already walked the new rows."""
    from app.core import context

    session.add(
        Activity(
            organization_id=obj.organization_id,
            created_by_id=context.current_user_id(),
            updated_by_id=context.current_user_id(),
            kind=kind,
            body=body,
            **links,
        )
    )


def _lead_moved(session, lead: Lead, changes: dict) -> None:
    old, new = changes["status"]
    _log(session, lead, "status_change", f"Status {old} → {new}", lead_id=lead.id, client_id=lead.client_id)


def _deal_moved(session, deal: Deal, changes: dict) -> None:
    """One activity per change, whichever of stage and status moved."""
    old_stage = changes.get("stage", (deal.stage, deal.stage))[0]
    if "status" in changes:
        old_status = changes["status"][0]
        kind = "status_change"
        if deal.status == "open":
            body = f"Reopened in {deal.stage} (was {old_status})"
        else:
            body = f"Closed as {deal.status}" + (f" from {old_stage}" if old_stage != "closed" else "")
    else:
        kind, body = "stage_change", f"Stage {old_stage} → {deal.stage}"
    _log(session, deal, kind, body, deal_id=deal.id, client_id=pending_fk(deal, "client_id"))


def _lead_locked(lead: Lead) -> str | None:
    return "This lead was converted into a client; its status is final." if lead.converted_at is not None else None


LEAD_STATUS = Lifecycle(
    "status",
    LEAD_STATUSES,
    resource="Lead",
    moves={"new": ("contacted",), "contacted": ("qualified", "lost"), "lost": ("contacted",)},
    rollbacks=frozenset({("lost", "contacted")}),
    initial="new",
    noun="lead",
    locked=_lead_locked,
    record=_lead_moved,
    refusal=lambda old, new: f"Your role may not take a lead back from {old} to {new}; a manager can.",
)
DEAL_STATUS = Lifecycle(
    "status",
    DEAL_STATUSES,
    resource="Deal",
    moves={"open": ("won", "lost")},
    rollbacks=frozenset({("won", "open"), ("lost", "open"), ("won", "lost"), ("lost", "won")}),
    noun="deal",
    record=_deal_moved,
    refusal=lambda old, new: "Your role may not reopen a closed deal or change its outcome; a manager can.",
)
DEAL_STAGE = Lifecycle(
    "stage",
    DEAL_STAGES,  # ordered: forward moves (skipping too) are free, backward ones are rollbacks
    resource="Deal",
    noun="deal",
    record=_deal_moved,
    refusal=lambda old, new: f"Your role may not move a deal back from {old} to {new}; a manager can.",
)


class Lead(BusinessModel):
    __tablename__ = "lead"
    __owner_column__ = "owner_id"
    __lifecycles__ = (LEAD_STATUS,)
    # a conversion created a client, contact and deal: reverting the lead does not undo it
    __not_reverted__ = frozenset({"client_id", "converted_at"})
    __table_args__ = (
        *list_order_indexes("lead", "name"),
        active_index("ix_lead_active_status", "organization_id", "status", "updated_at", "id"),
        sa.Index("ix_lead_owner_id", "owner_id"),
        sa.Index("ix_lead_client_id", "client_id"),
        sa.CheckConstraint(f"status IN {LEAD_STATUSES!r}", name="status_known"),
    )

    name = sa.Column(sa.String(200), nullable=False)
    company = sa.Column(sa.String(200))
    email = sa.Column(sa.String(254))
    phone = sa.Column(sa.String(40))
    source = sa.Column(sa.String(40))
    owner_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    owner = relationship("User", foreign_keys=[owner_id], lazy="joined")
    status = sa.Column(sa.String(20), nullable=False, default="new")
    notes = sa.Column(sa.Text)
    # set by the conversion: the client it became
    client_id = sa.Column(sa.Integer, sa.ForeignKey("client.id"))
    client = relationship("Client", foreign_keys=[client_id], lazy="joined")
    converted_at = sa.Column(sa.DateTime)
    activities = relationship("Activity", foreign_keys="Activity.lead_id", lazy="select", cascade="all, delete")

    def normalize(self) -> None:
        if self.id is None:  # the default of a new lead; an update must name a known status
            self.status = self.status or LEAD_STATUS.states[0]

    def validate(self) -> None:
        if not (self.name or "").strip():
            raise invalid("name", "Required.")
        _one_of("status", self.status, LEAD_STATUSES)
        if self.source and self.source not in LEAD_SOURCES:
            raise invalid("source", f"One of: {', '.join(LEAD_SOURCES)}.")
        check_email(self.email)

    def __repr__(self) -> str:
        return f"{self.name} ({self.company})" if self.company else (self.name or f"Lead {self.id}")


class Deal(BusinessModel):
    __tablename__ = "deal"
    __lookup_column__ = "title"
    __owner_column__ = "owner_id"
    __lifecycles__ = (DEAL_STATUS, DEAL_STAGE)  # status first: a reopen is refused as a reopen
    __table_args__ = (
        *list_order_indexes("deal", "title"),
        # the board's cards (newest first per column); the analytics' GROUP BYs and the board's
        # column totals read only the two covering indexes below, their filters (owner, creation
        # date) included
        active_index("ix_deal_active_stage", "organization_id", "stage", "updated_at", "id"),
        active_index(
            "ix_deal_active_status_amount", "organization_id", "status", "currency", "amount", "owner_id", "created_at"
        ),
        active_index(
            "ix_deal_active_funnel",
            "organization_id",
            "stage",
            "furthest_stage",
            "currency",
            "amount",
            "owner_id",
            "created_at",
        ),
        sa.Index("ix_deal_owner_id", "owner_id", "status"),
        sa.Index("ix_deal_client_id", "client_id", "status"),
        sa.Index("ix_deal_contact_id", "contact_id", "status"),
        sa.CheckConstraint(f"stage IN {DEAL_STAGES!r}", name="stage_known"),
        sa.CheckConstraint(f"furthest_stage IN {DEAL_STAGES!r}", name="furthest_stage_known"),
        sa.CheckConstraint(f"status IN {DEAL_STATUSES!r}", name="status_known"),
        sa.CheckConstraint("status <> 'won' OR amount > 0", name="won_needs_amount"),
        sa.CheckConstraint("(status = 'open') = (stage <> 'closed')", name="closed_iff_not_open"),
    )

    title = sa.Column(sa.String(200), nullable=False)
    client_id = sa.Column(sa.Integer, sa.ForeignKey("client.id"), nullable=False)
    client = relationship("Client", foreign_keys=[client_id], lazy="joined")
    contact_id = sa.Column(sa.Integer, sa.ForeignKey("contact.id"))
    contact = relationship("Contact", foreign_keys=[contact_id], lazy="joined")
    owner_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    owner = relationship("User", foreign_keys=[owner_id], lazy="joined")
    amount = sa.Column(sa.Numeric(14, 2), nullable=False, default=0)
    currency = sa.Column(sa.String(3), nullable=False, default="EUR")
    stage = sa.Column(sa.String(20), nullable=False, default="qualification")
    status = sa.Column(sa.String(10), nullable=False, default="open")
    # the furthest stage the deal reached (a lost deal keeps the stage it was lost in): the funnel
    furthest_stage = sa.Column(sa.String(20), nullable=False, default="qualification")
    expected_close_date = sa.Column(sa.Date)
    closed_at = sa.Column(sa.DateTime)
    lead_id = sa.Column(sa.Integer, sa.ForeignKey("lead.id"))
    lead = relationship("Lead", foreign_keys=[lead_id], lazy="select")
    # deleted with the deal through the ORM, so that each removal is versioned
    activities = relationship("Activity", foreign_keys="Activity.deal_id", lazy="select", cascade="all, delete")

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def amount_label(self) -> str:
        return format_amount(self.amount, self.currency)

    def normalize(self) -> None:
        """Defaults and derived fields: closing as won or lost moves the deal to `closed`;
        leaving `closed` reopens it; the furthest stage reached; when it closed."""
        if self.id is None:  # the defaults of a new deal; an update must name a known stage/status
            self.stage = self.stage or DEAL_STAGES[0]
            self.status = self.status or DEAL_STATUSES[0]
            self.currency = self.currency or DEFAULT_CURRENCY
        if isinstance(self.currency, str):
            self.currency = self.currency.strip().upper()
        if self.amount is None:
            self.amount = 0
        if self.stage not in DEAL_STAGES or self.status not in DEAL_STATUSES:
            return  # validate() names the unknown value
        is_new = self.id is None
        if self.status != "open" and (is_new or _changed(self, "status")):
            self.stage = "closed"  # closing
        elif self.stage != "closed" and not is_new and _changed(self, "stage") and not _changed(self, "status"):
            self.status = "open"  # leaving `closed` reopens
        reached = DEAL_STAGES.index(self.stage) if self.status != "lost" else -1
        if reached > DEAL_STAGES.index(self.furthest_stage or DEAL_STAGES[0]):
            self.furthest_stage = self.stage
        self.furthest_stage = self.furthest_stage or DEAL_STAGES[0]
        if self.status == "open":
            self.closed_at = None
        elif self.closed_at is None:
            self.closed_at = utcnow()

    def validate(self) -> None:
        """Known values, the closed stage and the status agree, won needs an amount > 0. The
        database's CHECK constraints back each of them."""
        amount = check_amount(self.amount)
        check_currency(self.currency)
        if not (self.title or "").strip():
            raise invalid("title", "Required.")
        if self.client_id is None and self.client is None:
            raise invalid("client", "Required.")
        _one_of("stage", self.stage, DEAL_STAGES)
        _one_of("status", self.status, DEAL_STATUSES)
        if self.stage == "closed" and self.status == "open":
            raise invalid("stage", "Close a deal by setting its status to won or lost.")
        if self.status != "open" and self.stage != "closed":
            raise invalid("status", "A won or lost deal is in the closed stage.")
        if self.status == "won" and amount <= 0:
            raise invalid("amount", "A won deal needs an amount greater than 0.")

    def check_rules(self, session) -> None:
        self._check_parties(session)

    def _check_parties(self, session) -> None:
        """An open deal's client and contact are not archived (the other half of "no archiving
        with open deals": creating, restoring or re-pointing a deal onto an archived one is
        refused too), and its contact works for its client."""
        if self.status != "open" or self.archived_at is not None:
            return
        watched = ("client_id", "client", "contact_id", "contact", "archived_at", "status")
        if self.id is not None and not any(_changed(self, attr) for attr in watched):
            return
        client_id, contact_id = pending_fk(self, "client_id"), pending_fk(self, "contact_id")
        with session.no_autoflush:
            if client_id is not None:
                archived = session.scalar(sa.select(Client.archived_at).where(Client.id == client_id))
                if archived is not None:
                    raise Conflict(
                        "This client is archived: restore it before giving it an open deal.",
                        {"client": ["Archived."]},
                    )
            if contact_id is not None:
                row = session.execute(
                    sa.select(Contact.client_id, Contact.archived_at).where(Contact.id == contact_id)
                ).first()
                if row is not None and row.archived_at is not None:
                    raise Conflict(
                        "This contact is archived: restore it before giving it an open deal.",
                        {"contact": ["Archived."]},
                    )
                if row is not None and client_id is not None and row.client_id != client_id:
                    raise invalid("contact", "Not a contact of this deal's client.")

    def before_delete(self) -> None:
        count = db.session.scalar(sa.select(sa.func.count(Task.id)).where(Task.deal_id == self.id))
        if count:
            raise Conflict(f"This deal has {count} task(s); archive the deal instead, or delete its tasks first.")

    def __repr__(self) -> str:
        return self.title or f"Deal {self.id}"


def open_deal_count(column: sa.ColumnElement, value: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Deal.id)).where(column == value, Deal.status == "open", Deal.archived_at.is_(None))
    )


def refuse_with_open_deals(what: str, column: sa.ColumnElement, value: int, verb: str) -> None:
    count = open_deal_count(column, value)
    if count:
        raise Conflict(
            f"This {what} has {count} open deal(s); close or move them before you {verb} it.",
            {"open_deals": [str(count)]},
        )


class Task(BusinessModel):
    __tablename__ = "task"
    __lookup_column__ = "title"
    __table_args__ = (
        *list_order_indexes("task", "due_date"),
        sa.Index("ix_task_assignee", "assignee_id", "done", "due_date"),
        sa.Index("ix_task_client_id", "client_id"),
        sa.Index("ix_task_deal_id", "deal_id"),
    )

    title = sa.Column(sa.String(200), nullable=False)
    due_date = sa.Column(sa.Date)
    done = sa.Column(sa.Boolean, nullable=False, default=False)
    assignee_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    assignee = relationship("User", foreign_keys=[assignee_id], lazy="joined")
    client_id = sa.Column(sa.Integer, sa.ForeignKey("client.id"))
    client = relationship("Client", foreign_keys=[client_id], lazy="joined")
    deal_id = sa.Column(sa.Integer, sa.ForeignKey("deal.id"))
    deal = relationship("Deal", foreign_keys=[deal_id], lazy="joined")
    notes = sa.Column(sa.Text)
    # the work assignment it belongs to (SPEC §5, §7): the work domain, when installed, makes it a
    # foreign key with its relation, and hides the tasks of assignments a user does not see
    assignment_id = sa.Column(sa.Integer, index=True)

    @property
    def overdue(self) -> bool:
        return not self.done and self.due_date is not None and self.due_date < date.today()

    def validate(self) -> None:
        self.done = bool(self.done)
        if not (self.title or "").strip():
            raise invalid("title", "Required.")

    def __repr__(self) -> str:
        return self.title or f"Task {self.id}"


class Activity(TenantMixin, AuditMixin, Model):
    """A line of a deal's, lead's or client's timeline: a comment, a stage or status change, a
    system event. Append-only; versioned like every write."""

    __tablename__ = "activity"
    __versioned__: ClassVar[dict] = {}
    __table_args__ = (
        sa.Index("ix_activity_deal", "deal_id", "id"),
        sa.Index("ix_activity_client", "client_id", "id"),
        sa.Index("ix_activity_lead", "lead_id", "id"),
        sa.CheckConstraint(f"kind IN {ACTIVITY_KINDS!r}", name="kind_known"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(20), nullable=False, default="comment")
    body = sa.Column(sa.Text, nullable=False)
    deal_id = sa.Column(sa.Integer, sa.ForeignKey("deal.id", ondelete="CASCADE"))
    client_id = sa.Column(sa.Integer, sa.ForeignKey("client.id", ondelete="CASCADE"))
    lead_id = sa.Column(sa.Integer, sa.ForeignKey("lead.id", ondelete="CASCADE"))
    # the author: created_by (AuditMixin)

    def validate(self) -> None:
        _one_of("kind", self.kind, ACTIVITY_KINDS)
        if not (self.body or "").strip():
            raise invalid("body", "Required.")
        if len(self.body) > 10_000:
            raise invalid("body", "At most 10,000 characters.")

    def __repr__(self) -> str:
        return f"{self.kind}: {self.body[:40]}"

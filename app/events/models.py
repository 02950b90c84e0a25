"""Contracts and events of the event company (SPEC §8).

* A contract belongs to a client; its commercial is by default the client's account manager.
  Who may change it without `can_edit_all` is the owner rule: the client's owner (as for
  contacts). Its status is derived — `unsigned | signed | paid` — and declared as a lifecycle,
  so a revert or a PUT cannot move it back. Payments (`ContractPayment`) never exceed the amount
  due: each locks its contract row first.
* An event needs a signed contract (409 naming it), start < end, attendees ≥ 0, and its
  support is a member of the organization with the Support role. Its owner is its support once
  one is assigned, until then the commercial of its client: a Support user edits only the events
  assigned to them, a Commercial creates events only for contracts of their own clients.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.context import UNSCOPED
from app.core.errors import Conflict, Forbidden, invalid
from app.core.lifecycle import Lifecycle
from app.core.models import (
    AuditMixin,
    BusinessModel,
    TenantMixin,
    active_index,
    committed,
    list_order_indexes,
    pending_fk,
)
from app.core.money import DEFAULT_CURRENCY, MAX_AMOUNT, check_currency, check_decimal, format_amount
from app.core.tenancy import Membership
from app.crm.models import Client
from app.extensions import db

CONTRACT_STATUSES = ("unsigned", "signed", "paid")
SUPPORT_ROLE = "Support"
MAX_ATTENDEES = 1_000_000

CONTRACT_STATUS = Lifecycle(
    "status",
    CONTRACT_STATUSES,
    resource="Contract",
    # derived: signing moves unsigned → signed (or paid, when paid before signing); the last
    # payment moves signed → paid
    moves={"unsigned": ("signed", "paid"), "signed": ("paid",)},
    noun="contract",
)


def _changed(obj: Any, attr: str) -> bool:
    return sa.inspect(obj).attrs[attr].history.has_changes()


NOBODY = 0  # no user has this id: a row "owned by nobody" is changed only with can_edit_all


def _client_owner(client_id: int | None) -> set[int]:
    """The client's account manager; a client without one is nobody's own customer."""
    client = db.session.get(Client, client_id) if client_id is not None else None
    return {client.owner_id} if client is not None and client.owner_id is not None else {NOBODY}


class Contract(BusinessModel):
    __tablename__ = "contract"
    __lookup_column__ = "reference"
    __lifecycles__ = (CONTRACT_STATUS,)
    __not_reverted__ = frozenset({"paid_amount", "amount_due", "status", "signed_at"})
    __table_args__ = (
        *list_order_indexes("contract", "created_at"),
        sa.Index("ix_contract_client_id", "client_id"),
        sa.Index("ix_contract_commercial_id", "commercial_id"),
        active_index("ix_contract_active_status", "organization_id", "status", "created_at"),
        sa.CheckConstraint(f"status IN {CONTRACT_STATUSES!r}", name="status_known"),
        sa.CheckConstraint("paid_amount >= 0 AND paid_amount <= total_amount", name="never_overpaid"),
    )

    reference = sa.Column(sa.String(100))
    client_id = sa.Column(sa.Integer, sa.ForeignKey("client.id"), nullable=False)
    client = relationship("Client", foreign_keys=[client_id], lazy="joined")
    commercial_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    commercial = relationship("User", foreign_keys=[commercial_id], lazy="joined")
    total_amount = sa.Column(sa.Numeric(14, 2), nullable=False, default=0)
    currency = sa.Column(sa.String(3), nullable=False, default=DEFAULT_CURRENCY)
    paid_amount = sa.Column(sa.Numeric(14, 2), nullable=False, default=0)
    amount_due = sa.Column(sa.Numeric(14, 2), nullable=False, default=0)
    signed_at = sa.Column(sa.DateTime)
    status = sa.Column(sa.String(10), nullable=False, default="unsigned")

    payments = relationship("ContractPayment", back_populates="contract", lazy="select", order_by="ContractPayment.id")

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def total_label(self) -> str:
        return format_amount(self.total_amount, self.currency)

    @property
    def due_label(self) -> str:
        return format_amount(self.amount_due, self.currency)

    def owner_user_ids(self, *, saved: bool) -> set[int]:
        """Owned through the client (its account manager), as contacts are."""
        return _client_owner(committed(self, "client_id") if saved else pending_fk(self, "client_id"))

    def normalize(self) -> None:
        self.currency = (self.currency or DEFAULT_CURRENCY).strip().upper()
        self.total_amount = Decimal(0) if self.total_amount in (None, "") else self.total_amount
        self.paid_amount = Decimal(0) if self.paid_amount is None else self.paid_amount
        if self.commercial_id is None and self.commercial is None:
            client = self.client or (db.session.get(Client, self.client_id) if self.client_id else None)
            self.commercial_id = client.owner_id if client is not None else None
        try:
            self.amount_due = Decimal(self.total_amount) - Decimal(self.paid_amount)
        except (ArithmeticError, ValueError, TypeError):
            return  # validate() names the bad amount
        if self.signed_at is None:
            self.status = "unsigned"
        else:
            self.status = "paid" if self.amount_due <= 0 else "signed"

    def validate(self) -> None:
        if self.client_id is None and self.client is None:
            raise invalid("client", "Required.")
        check_currency(self.currency)
        self.total_amount = check_decimal(self.total_amount, "total_amount", places=2, maximum=MAX_AMOUNT)
        if Decimal(self.paid_amount) > self.total_amount:
            raise invalid("total_amount", f"Cannot be less than what was paid ({format_amount(self.paid_amount)}).")

    def check_rules(self, session) -> None:
        if self.id is not None and _changed(self, "client_id") and committed(self, "client_id") != self.client_id:
            if Decimal(committed(self, "paid_amount") or 0) > 0 or committed(self, "signed_at") is not None:
                raise Conflict("A signed or paid contract keeps its client.", {"client": ["Frozen."]})

    def before_delete(self) -> None:
        if db.session.scalar(sa.select(sa.func.count(Event.id)).where(Event.contract_id == self.id)):
            raise Conflict("This contract has events; archive it instead.")
        if Decimal(self.paid_amount or 0) > 0:
            raise Conflict("This contract has payments; archive it instead.")

    def __repr__(self) -> str:
        return self.reference or f"Contract #{self.id}"


def lock_contract(session, contract: Contract) -> None:
    """The contract row's lock for the rest of the transaction, then its fresh state."""
    if contract.id is None:
        return
    table = Contract.__table__
    session.execute(sa.select(table.c.id).where(table.c.id == contract.id).with_for_update())
    if not session.is_modified(contract, include_collections=False):
        session.refresh(contract)


class ContractPayment(TenantMixin, AuditMixin, Model):
    """A payment on a contract: append-only, versioned."""

    __tablename__ = "contract_payment"
    __versioned__: ClassVar[dict] = {}
    __table_args__ = (
        sa.Index("ix_contract_payment_contract_id", "contract_id", "id"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    contract_id = sa.Column(sa.Integer, sa.ForeignKey("contract.id"), nullable=False)
    contract = relationship("Contract", back_populates="payments", lazy="joined")
    amount = sa.Column(sa.Numeric(14, 2), nullable=False)
    date = sa.Column(sa.Date, nullable=False, default=date.today)

    def validate(self) -> None:
        self.amount = check_decimal(self.amount, "amount", places=2, maximum=MAX_AMOUNT, above_minimum=True)
        self.date = self.date or date.today()

    def propagate(self, session, *, deleted: bool) -> None:
        """Lock the contract, check the amount against what is due now, and update it."""
        contract = self.contract or session.get(Contract, self.contract_id)
        if contract is None or deleted or self.id is not None:
            return
        self.validate()
        lock_contract(session, contract)
        with session.no_autoflush:
            paid = session.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(ContractPayment.amount), 0)).where(
                    ContractPayment.contract_id == contract.id
                )
            )
        due = Decimal(contract.total_amount) - Decimal(paid)
        if self.amount > due:
            raise invalid("amount", f"More than is due ({format_amount(due, contract.currency)}).")
        contract.paid_amount = Decimal(paid) + self.amount

    def __repr__(self) -> str:
        return f"{self.amount} on {self.date}"


class Event(BusinessModel):
    __tablename__ = "event"
    __table_args__ = (
        *list_order_indexes("event", "start"),
        sa.Index("ix_event_contract_id", "contract_id"),
        sa.Index("ix_event_support_id", "support_id", "start"),
        sa.Index("ix_event_org_start_end", "organization_id", "start", "end"),
        sa.CheckConstraint('start < "end"', name="starts_before_it_ends"),
        sa.CheckConstraint("attendees >= 0", name="attendees_not_negative"),
    )

    contract_id = sa.Column(sa.Integer, sa.ForeignKey("contract.id"), nullable=False)
    contract = relationship("Contract", foreign_keys=[contract_id], lazy="joined")
    name = sa.Column(sa.String(200), nullable=False)
    start = sa.Column(sa.DateTime, nullable=False)
    end = sa.Column(sa.DateTime, nullable=False)
    location = sa.Column(sa.String(300))
    attendees = sa.Column(sa.Integer, nullable=False, default=0)
    notes = sa.Column(sa.Text)
    support_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    support = relationship("User", foreign_keys=[support_id], lazy="joined")

    def owner_user_ids(self, *, saved: bool) -> set[int]:
        """Its support once assigned, until then the commercial of its client (the client's
        account manager)."""
        support = committed(self, "support_id") if saved else pending_fk(self, "support_id")
        if support is not None:
            return {support}
        contract_id = committed(self, "contract_id") if saved else pending_fk(self, "contract_id")
        contract = db.session.get(Contract, contract_id) if contract_id is not None else None
        return _client_owner(contract.client_id) if contract is not None else set()

    def normalize(self) -> None:
        self.attendees = 0 if self.attendees in (None, "") else self.attendees

    def validate(self) -> None:
        if not (self.name or "").strip():
            raise invalid("name", "Required.")
        if self.contract_id is None and self.contract is None:
            raise invalid("contract", "Required.")
        for field in ("start", "end"):
            if not isinstance(getattr(self, field), datetime):
                raise invalid(field, "Required: a date and time.")
        if self.start >= self.end:
            raise invalid("end", "Must be after the start.")
        if isinstance(self.attendees, bool) or not isinstance(self.attendees, int):
            raise invalid("attendees", "A whole number.")
        if not 0 <= self.attendees <= MAX_ATTENDEES:
            raise invalid("attendees", f"Between 0 and {MAX_ATTENDEES:,}.")
        if self.notes is not None and len(self.notes) > 10_000:
            raise invalid("notes", "At most 10,000 characters.")

    def check_rules(self, session) -> None:
        from app.core.scope import capability

        is_new = self.id is None
        if is_new or _changed(self, "contract_id") or _changed(self, "contract"):
            contract_id = pending_fk(self, "contract_id")
            with session.no_autoflush:
                contract = session.get(Contract, contract_id) if contract_id is not None else None
            if contract is not None and contract.signed_at is None:
                raise Conflict(
                    f"Contract “{contract}” is not signed yet: sign it before planning its events.",
                    {"contract": [f"“{contract}” is not signed."]},
                )
        if _changed(self, "support_id") or _changed(self, "support"):
            if committed(self, "support_id") != pending_fk(self, "support_id"):
                if not capability("can_set_support", "Event"):
                    raise Forbidden("Only a manager assigns an event's support.")
                check_support_user(session, self.organization_id, pending_fk(self, "support_id"))

    def __repr__(self) -> str:
        return self.name or f"Event {self.id}"


def check_support_user(session, organization_id: int, user_id: int | None) -> None:
    """The support of an event is a member of its organization with the Support role."""
    if user_id is None:
        return
    from flask_appbuilder.security.sqla.models import Role

    with session.no_autoflush:
        role = session.scalar(
            sa.select(Role.name)
            .join(Membership, Membership.role_id == Role.id)
            .where(Membership.user_id == user_id, Membership.organization_id == organization_id)
            .execution_options(**{UNSCOPED: True})
        )
    if role is None:
        raise invalid("support", "Not found in this organization.")
    if role != SUPPORT_ROLE:
        raise invalid("support", "Not a Support user: the support of an event has the Support role.")


def events_between(start: datetime, end: datetime) -> sa.Select:
    """Events of the active organization overlapping [start, end): for the calendar (SPEC §7)."""
    return (
        sa.select(Event)
        .where(Event.archived_at.is_(None), Event.start < end, Event.end > start)
        .order_by(Event.start, Event.id)
    )

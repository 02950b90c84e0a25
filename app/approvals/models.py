"""Approval requests and the per-organization policy (SPEC §9).

* `ApprovalRequest`: a declared record action (`resource`, `action`) on one record (`record_id`)
  with its validated arguments (`payload`, JSON), asked by `requester`, and its one outcome:
  `pending → approved | rejected | failed`, or `cancelled` by the requester. Versioned and audited
  like every record; an organization's rows only; a user sees the requests about records they
  can see (a row scope over the target's own scope) and their own.
* `ApprovalPolicy`: the organization's choice, per declared action, of whether it needs approval;
  an action without a row takes the default (app/approvals/policy.py `DEFAULTS`). Versioned: a
  change of policy is in the audit log.

Exactly one outcome: at most one pending request per target and action (a partial unique index),
and a decision moves `pending` to a final state under a row lock and the optimistic version
counter, so of two racing decisions one wins and the other is a 409.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.errors import invalid
from app.core.lifecycle import Lifecycle
from app.core.models import AuditMixin, BusinessModel, TenantMixin, add_row_scope

STATUSES = ("pending", "approved", "rejected", "cancelled", "failed")
FINAL = ("approved", "rejected", "cancelled", "failed")
MAX_PAYLOAD = 4_000  # characters of JSON: an action's arguments are a few fields
MAX_COMMENT = 2_000

REQUEST_STATUS = Lifecycle(
    "status",
    STATUSES,
    resource="ApprovalRequest",
    moves={"pending": FINAL},
    initial="pending",
    noun="approval request",
)


class ApprovalRequest(BusinessModel):
    __tablename__ = "approval_request"
    __lookup_column__ = "summary"
    __lifecycles__ = (REQUEST_STATUS,)
    # a request is decided or cancelled, never archived nor reverted: its versions are its record
    __archivable__ = False
    __revertible__ = False
    __table_args__ = (
        # one pending request per record and action: the second asker learns of the first (409)
        sa.Index(
            "uq_approval_request_pending",
            "organization_id",
            "resource",
            "record_id",
            "action",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
        sa.Index("ix_approval_request_org_status", "organization_id", "status", "id"),
        sa.Index("ix_approval_request_target", "organization_id", "resource", "record_id", "id"),
        sa.Index("ix_approval_request_requester", "requester_id", "id"),
        sa.CheckConstraint(f"status IN {STATUSES!r}", name="status_known"),
        sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_when_final"),
    )

    resource = sa.Column(sa.String(64), nullable=False)
    record_id = sa.Column(sa.Integer, nullable=False)
    action = sa.Column(sa.String(32), nullable=False)
    payload = sa.Column(sa.Text, nullable=False, default="{}")
    summary = sa.Column(sa.String(200), nullable=False, default="")  # the record as it was named when asked
    requester_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"), nullable=False)
    requester = relationship("User", foreign_keys=[requester_id], lazy="joined")
    status = sa.Column(sa.String(16), nullable=False, default="pending")
    decided_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined")
    decided_at = sa.Column(sa.DateTime)
    comment = sa.Column(sa.Text)
    reason = sa.Column(sa.String(500))  # why a failed request failed: the action's own message

    BOOKKEEPING: ClassVar[frozenset[str]] = BusinessModel.BOOKKEEPING | {"archived_at"}

    def __str__(self) -> str:
        return f"Request #{self.id or '?'}: {self.action_label} {self.summary}".strip()

    @property
    def arguments(self) -> dict[str, Any]:
        try:
            value = json.loads(self.payload or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @property
    def action_label(self) -> str:
        return self.action.replace("_", " ").capitalize() if self.action else ""

    def normalize(self) -> None:
        if self.id is None:
            self.status = self.status or "pending"
            self.payload = self.payload or "{}"
            self.summary = self.summary or ""

    def validate(self) -> None:
        if len(self.payload or "") > MAX_PAYLOAD:
            raise invalid("payload", f"At most {MAX_PAYLOAD} characters.")
        if self.comment is not None and len(self.comment) > MAX_COMMENT:
            raise invalid("comment", f"At most {MAX_COMMENT} characters.")


class ApprovalPolicy(TenantMixin, AuditMixin, Model):
    __tablename__ = "approval_policy"
    __versioned__: ClassVar[dict] = {}
    __table_args__ = (sa.UniqueConstraint("organization_id", "resource", "action"),)
    BOOKKEEPING: ClassVar[frozenset[str]] = frozenset(
        {"id", "organization_id", "created_at", "created_by_id", "updated_at", "updated_by_id"}
    )

    id = sa.Column(sa.Integer, primary_key=True)
    resource = sa.Column(sa.String(64), nullable=False)
    action = sa.Column(sa.String(32), nullable=False)
    required = sa.Column(sa.Boolean, nullable=False, default=True)

    @classmethod
    def resource_name(cls) -> str:
        return cls.__name__

    def __str__(self) -> str:
        return f"{self.resource}.{self.action}: {'needs approval' if self.required else 'direct'}"


def _visible_requests(user_id: int) -> sa.ColumnElement[bool]:
    """Without `can_edit_all` on ApprovalRequest a user sees their own requests and those about
    records they may read and see: a target under a row scope (a valuer's assignments) counts
    only where that scope lets them see it."""
    from app.core.models import row_scopes
    from app.core.registry import registry
    from app.core.scope import capability

    readable = [name for name in registry.resources if capability("can_read", name)]
    scoped: dict[str, list] = {}
    for scope in row_scopes():
        resource = registry.resource_for_model(scope.model)
        if resource is None or scope.model is ApprovalRequest or capability("can_edit_all", scope.resource):
            continue
        scoped.setdefault(resource.name, []).append(scope)
    visible: list[sa.ColumnElement[bool]] = [
        ApprovalRequest.resource.in_([name for name in readable if name not in scoped])
    ]
    for name, scopes in scoped.items():
        if name not in readable:
            continue
        model = scopes[0].model
        ids = sa.select(model.id).where(*(scope.criteria(user_id) for scope in scopes))
        visible.append(sa.and_(ApprovalRequest.resource == name, ApprovalRequest.record_id.in_(ids)))
    return sa.or_(ApprovalRequest.requester_id == user_id, *visible)


add_row_scope(ApprovalRequest, "ApprovalRequest", _visible_requests)

"""The audit log: one row per record touched by a versioned transaction, plus events that change
no business record (login, permission changes). Who/when/where live on Continuum's transaction
row; the changed fields are read back from the version tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import Session

from app.core import context
from app.core.versioning import token_args, transaction_model

ACTIONS = (
    "create",
    "update",
    "archive",
    "restore",
    "delete",
    "status_change",
    "revert",
    "import",
    "login",
    "permission_change",
)


class AuditRecord(Model):
    __tablename__ = "audit_record"
    __table_args__ = (
        sa.Index("ix_audit_record_org_tx", "organization_id", "transaction_id"),
        sa.Index("ix_audit_record_resource_record", "resource", "record_id"),
    )

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    transaction_id = sa.Column(sa.BigInteger, nullable=False, index=True)
    organization_id = sa.Column(sa.Integer, nullable=True)
    resource = sa.Column(sa.String(64), nullable=False)
    record_id = sa.Column(sa.Integer, nullable=True)
    action = sa.Column(sa.String(32), nullable=False, index=True)
    # a sentence for entries that stand for more than one record (an import: its change set and counts)
    detail = sa.Column(sa.String(500), nullable=True)


def record_event(
    session: Session,
    action: str,
    resource: str,
    record_id: int | None,
    *,
    user_id: int | None = None,
    organization_id: int | None = None,
) -> int:
    """Write a transaction + audit row for an event that versions no business record."""
    tx = transaction_model().__table__
    conn = session.connection()
    tx_id = conn.execute(
        sa.insert(tx)
        .values(
            issued_at=datetime.utcnow(),
            user_id=user_id if user_id is not None else context.current_user_id(),
            organization_id=organization_id,
            remote_addr=context.remote_addr(),
            request_id=context.request_id(),
            action=action,
            **token_args(),
        )
        .returning(tx.c.id)
    ).scalar_one()
    conn.execute(
        sa.insert(AuditRecord.__table__).values(
            transaction_id=tx_id,
            organization_id=organization_id,
            resource=resource,
            record_id=record_id,
            action=action,
        )
    )
    return tx_id


def audit_query(
    organization_id: int | None,
    *,
    include_global: bool = False,
    user: str | None = None,
    action: str | None = None,
    resource: str | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
):
    """A SELECT of (AuditRecord, issued_at, username, token name), newest first, for one organization.
    Events of no organization (role and user permission edits: global tables) are shown only
    with `include_global` (global Admins)."""
    from flask_appbuilder.security.sqla.models import User

    Tx = transaction_model()
    stmt = (
        sa.select(AuditRecord, Tx.issued_at, User.username, Tx.token_name)
        .join(Tx, Tx.id == AuditRecord.transaction_id)
        .outerjoin(User, User.id == Tx.user_id)
        .where(
            sa.or_(AuditRecord.organization_id == organization_id, AuditRecord.organization_id.is_(None))
            if include_global
            else AuditRecord.organization_id == organization_id
        )
    )
    if user:  # people type names as they like: "Staff" finds staff
        stmt = stmt.where(sa.func.lower(User.username) == user.strip().lower())
    if action:
        stmt = stmt.where(AuditRecord.action == action)
    if resource:
        stmt = stmt.where(sa.func.lower(AuditRecord.resource) == resource.strip().lower())
    if date_from:
        stmt = stmt.where(Tx.issued_at >= date_from)
    if date_to:
        stmt = stmt.where(Tx.issued_at <= date_to)
    return stmt.order_by(AuditRecord.transaction_id.desc(), AuditRecord.id.desc())


def changes_for(session: Session, records: list[AuditRecord]) -> dict[int, dict[str, list[Any]]]:
    """{audit_record.id: {field: [old, new]}} computed from the version tables, one query per
    resource on the page."""
    from sqlalchemy_continuum import version_class

    from app.core.history import diff, model_for_resource

    out: dict[int, dict[str, list[Any]]] = {}
    by_resource: dict[str, list[AuditRecord]] = {}
    for rec in records:
        by_resource.setdefault(rec.resource, []).append(rec)
    for resource, recs in by_resource.items():
        model = model_for_resource(resource)
        if model is None:
            continue
        V = version_class(model)
        ids = {r.record_id for r in recs}
        txs = {r.transaction_id for r in recs}
        rows = session.scalars(
            sa.select(V).where(V.id.in_(ids), sa.or_(V.transaction_id.in_(txs), V.end_transaction_id.in_(txs)))
        ).all()
        for rec in recs:
            new = next((v for v in rows if v.id == rec.record_id and v.transaction_id == rec.transaction_id), None)
            old = next((v for v in rows if v.id == rec.record_id and v.end_transaction_id == rec.transaction_id), None)
            if new is None:
                continue
            out[rec.id] = diff(model, old, new)
    return out


@sa.event.listens_for(Session, "after_flush")
def _audit_permission_changes(session: Session, flush_context) -> None:
    """Role and user-role edits (FAB's security pages) are audited as `permission_change`."""
    from flask_appbuilder.security.sqla.models import Role, User

    changed: list[tuple[str, int]] = []
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Role):
            state = sa.inspect(obj)
            if obj in session.new or obj in session.deleted or state.attrs.permissions.history.has_changes():
                changed.append(("Role", obj.id))
        elif isinstance(obj, User) and obj not in session.new:
            if sa.inspect(obj).attrs.roles.history.has_changes():
                changed.append(("User", obj.id))
    for resource, record_id in changed:
        record_event(session, "permission_change", resource, record_id)

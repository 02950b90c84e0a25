"""Record history, field diffs and revert, read from Continuum's version tables."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy_continuum import version_class

from app.core.errors import Conflict, DomainError, NotFound
from app.core.models import BusinessModel
from app.core.versioning import transaction_model

OPERATIONS = {0: "create", 1: "update", 2: "delete"}
NOT_REVERTED = frozenset({"archived_at", "archived_by_id"})


def model_for_resource(resource: str) -> type[BusinessModel] | None:
    for mapper in BusinessModel.registry.mappers:
        cls = mapper.class_
        if cls.__name__ == resource and hasattr(cls, "__versioned__") and "Version" not in cls.__name__:
            return cls
    return None


def tracked_fields(model: type) -> list[str]:
    skip = getattr(model, "BOOKKEEPING", frozenset({"id"}))
    return [c.key for c in sa.inspect(model).column_attrs if c.key not in skip]


def plain(value: Any) -> Any:
    """A column value as JSON shows it (as FAB's marshmallow schemas dump it)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def diff(model: type, old: Any, new: Any) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    deleted = new is not None and getattr(new, "operation_type", None) == 2
    for field in tracked_fields(model):
        before = getattr(old, field, None) if old is not None else None
        after = None if deleted else getattr(new, field, None)
        if deleted and old is None:
            before = getattr(new, field, None)
        if before != after and not (before in (None, "") and after in (None, "")):
            changes[field] = [plain(before), plain(after)]
    return changes


def history_for(session: Session, obj: BusinessModel) -> list[dict[str, Any]]:
    """Every version of `obj`, newest first, with who/when/what changed."""
    from flask_appbuilder.security.sqla.models import User

    from app.core.audit import AuditRecord

    model = type(obj)
    V = version_class(model)
    Tx = transaction_model()
    Approver = sa.orm.aliased(User)
    rows = session.execute(
        sa.select(V, Tx.issued_at, User.username, AuditRecord.action, Tx.token_name, Approver.username)
        .join(Tx, Tx.id == V.transaction_id)
        .outerjoin(User, User.id == Tx.user_id)
        .outerjoin(Approver, Approver.id == Tx.approved_by_id)
        .outerjoin(
            AuditRecord,
            sa.and_(
                AuditRecord.transaction_id == V.transaction_id,
                AuditRecord.resource == model.resource_name(),
                AuditRecord.record_id == V.id,
            ),
        )
        .where(V.id == obj.id)
        .order_by(V.transaction_id)
    ).all()
    # SQLite gives a deleted row's id to the next row inserted when it was the last one: the
    # record's own history starts at its latest creation, not at an earlier record's
    creations = [i for i, row in enumerate(rows) if row[0].operation_type == 0]
    if creations:
        rows = rows[creations[-1] :]
    result = []
    previous = None
    for version, issued_at, username, action, token_name, approver in rows:
        result.append(
            {
                "transaction_id": version.transaction_id,
                "issued_at": plain(issued_at),
                "user": username,
                "token": token_name,
                "approved_by": approver,
                "operation": action or OPERATIONS.get(version.operation_type, "update"),
                "changes": diff(model, previous, version),
            }
        )
        previous = version
    result.reverse()
    return result


def humanize(session: Session, model: type, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For people: field labels, related records and users by name (with a link), and no entry
    that changed nothing a person can see (a save that altered no field)."""
    from app.core.readable import Readable

    readable = Readable(session)
    kept = [e for e in entries if e["changes"] or e["operation"] not in ("update", "revert")]
    for e in kept:
        readable.collect(model, e["changes"])
    readable.resolve()
    return [{**e, "changes": readable.render(model, e["changes"])} for e in kept]


def revert(session: Session, obj: BusinessModel, transaction_id: int) -> BusinessModel:
    """Restore `obj`'s fields to their state after `transaction_id`, as an ordinary edit: the
    same validation, scope and locking apply; a revert that breaks a rule is a 409."""
    from app.core.uow import unit_of_work

    model = type(obj)
    V = version_class(model)
    version = session.scalars(sa.select(V).where(V.id == obj.id, V.transaction_id == transaction_id)).first()
    if version is None:
        raise NotFound(f"{model.resource_name()} {obj.id} has no version in transaction {transaction_id}.")
    if version.operation_type == 2:
        raise Conflict("Cannot revert to a deleted state.")
    try:
        with unit_of_work(action="revert"):
            for field in tracked_fields(model):
                if field in NOT_REVERTED or field in getattr(model, "__not_reverted__", ()):
                    continue
                setattr(obj, field, getattr(version, field))
    except DomainError as exc:
        if exc.status == 422:
            raise Conflict(f"Revert refused: {exc.message}", exc.fields) from exc
        raise
    return obj

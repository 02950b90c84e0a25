"""Shared record behaviours: every business model is a `BusinessModel`.

* audit columns (created/updated at/by), filled at flush from the acting user;
* `organization_id` (tenancy), filled at flush from the active organization and enforced by the
  query-level scope filter in `app.core.scope`;
* soft delete (`archived_at`/`archived_by`);
* a version counter used for optimistic locking (SQLAlchemy's `version_id_col`: a stale UPDATE
  matches no row and fails instead of overwriting);
* Continuum versioning (`__versioned__`).

Model rules go in `validate()`, called at every flush whatever the entry point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import declared_attr, relationship

from app.core.validators import escape_like


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def committed(obj: Any, attr: str) -> Any:
    """The value of `attr` as loaded from the database (before pending changes)."""
    hist = sa.inspect(obj).attrs[attr].history
    if hist.deleted:
        return hist.deleted[0]
    return getattr(obj, attr)


def active_index(name: str, *columns: str) -> sa.Index:
    """An index over the rows that are not archived — what every default list reads. Partial
    (SQLite and PostgreSQL), so `WHERE organization_id = ? AND archived_at IS NULL ORDER BY x`
    walks it in order instead of sorting the organization's rows."""
    where = sa.text("archived_at IS NULL")
    return sa.Index(name, *columns, sqlite_where=where, postgresql_where=where)


def list_order_indexes(table: str, column: str) -> tuple[sa.Index, sa.Index]:
    """The indexes of a resource's list order `(organization_id, column, id)`: over the active
    rows (the default list) and over all rows (`include_archived=1`)."""
    return (
        active_index(f"ix_{table}_active_{column}", "organization_id", column, "id"),
        sa.Index(f"ix_{table}_org_{column}", "organization_id", column, "id"),
    )


DECLARED_COLUMNS = ("list_columns", "show_columns", "add_columns", "edit_columns", "search_columns")


def require_declared_columns(view) -> None:
    """FAB's default columns include Continuum's `versions` relationship (loaded whole in forms,
    search widgets and show pages): every OpsHub page and API declares its columns instead."""
    missing = [name for name in DECLARED_COLUMNS if getattr(view, name, None) is None]
    if missing:
        raise TypeError(f"{type(view).__name__} must declare {', '.join(missing)}")
    for name in DECLARED_COLUMNS:
        if any(col == "versions" or col.startswith("versions.") for col in getattr(view, name)):
            raise TypeError(f"{type(view).__name__}.{name} must not include Continuum's versions")


def pending_fk(obj: Any, column: str) -> Any:
    """The value a foreign key is about to have: the column if it was set (a revert sets
    columns), else the relationship if it was (forms and the API set relationships), else the
    column as loaded."""
    if sa.inspect(obj).attrs[column].history.has_changes():
        return getattr(obj, column)
    related = getattr(obj, column.removesuffix("_id"), None)
    return related.id if related is not None else getattr(obj, column)


class AssignedScope:
    """Rows that a user without `can_edit_all` on `__scope_resource__` sees only when assigned
    to them (`assigned_criteria`). The scope hook in app/core/scope.py applies it to every ORM
    query of the request, beside the organization filter."""

    __scope_resource__: ClassVar[str]

    @classmethod
    def assigned_criteria(cls, user_id: int) -> sa.ColumnElement[bool]:
        raise NotImplementedError


@dataclass(frozen=True)
class RowScope:
    """A row scope given to a model from outside its class (a domain scoping another domain's
    model: the work domain hides the tasks of assignments a valuer is not assigned to). Same
    meaning as `AssignedScope`: without `can_edit_all` on `resource`, the user sees only the rows
    matching `criteria(user_id)`."""

    model: type
    resource: str
    criteria: Callable[[int], sa.ColumnElement[bool]]


_row_scopes: list[RowScope] = []


def add_row_scope(model: type, resource: str, criteria: Callable[[int], sa.ColumnElement[bool]]) -> None:
    scope = RowScope(model, resource, criteria)
    if scope not in _row_scopes:
        _row_scopes.append(scope)


def row_scopes() -> list[RowScope]:
    """Every row scope: the `AssignedScope` models' and those added by `add_row_scope`."""
    found, todo = [], list(AssignedScope.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if "__table__" in cls.__dict__:
            found.append(RowScope(cls, cls.__scope_resource__, cls.assigned_criteria))
    return [*found, *_row_scopes]


def is_row_scoped(model: type) -> bool:
    return any(scope.model is model for scope in row_scopes())


class TenantMixin:
    """Rows of one organization. The scope filter hides every other organization's rows."""

    @declared_attr
    def organization_id(cls):
        return sa.Column(sa.Integer, sa.ForeignKey("organization.id"), nullable=False, index=True)


class AuditMixin:
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    @declared_attr
    def created_by_id(cls):
        return sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))

    @declared_attr
    def updated_by_id(cls):
        return sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))

    @declared_attr
    def created_by(cls):
        return relationship("User", foreign_keys=[cls.created_by_id], lazy="select")

    @declared_attr
    def updated_by(cls):
        return relationship("User", foreign_keys=[cls.updated_by_id], lazy="select")


class ArchiveMixin:
    archived_at = sa.Column(sa.DateTime, nullable=True)

    @declared_attr
    def archived_by_id(cls):
        return sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))

    @declared_attr
    def archived_by(cls):
        return relationship("User", foreign_keys=[cls.archived_by_id], lazy="select")

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class VersionCounterMixin:
    version = sa.Column(sa.Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}


class BusinessModel(TenantMixin, AuditMixin, ArchiveMixin, VersionCounterMixin, Model):
    __abstract__ = True
    __versioned__: ClassVar[dict] = {}
    # Fields never shown in history diffs nor restored by a revert.
    BOOKKEEPING: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "organization_id",
            "created_at",
            "created_by_id",
            "updated_at",
            "updated_by_id",
            "archived_by_id",
            "version",
        }
    )

    id = sa.Column(sa.Integer, primary_key=True)

    @classmethod
    def resource_name(cls) -> str:
        return cls.__name__

    # the column searched and sorted by pickers (remote selects)
    __lookup_column__: ClassVar[str] = "name"

    @classmethod
    def lookup_query(cls, term: str) -> sa.Select:
        col = getattr(cls, cls.__lookup_column__)
        stmt = sa.select(cls).where(cls.archived_at.is_(None)).order_by(col, cls.id)
        if term:
            stmt = stmt.where(sa.func.lower(col).like(escape_like(term.lower()) + "%", escape="\\"))
        return stmt

    def normalize(self) -> None:
        """Fill defaults and derived fields (no session, no permission); called at every flush of
        a new or changed row, before `validate()`."""

    def validate(self) -> None:
        """Single-row rules: only read and raise `Invalid`. Called at every flush of a new or
        changed row, after `normalize()`."""

    # Write scope for roles without can_edit_all: a model names its owner column, or overrides
    # `owner_user_ids` to derive ownership (a contact is owned through its client).
    __owner_column__: ClassVar[str | None] = None

    def owner_user_ids(self, *, saved: bool) -> set[int]:
        """Who owns this row: as saved in the database (`saved=True`) or as it is about to be."""
        column = type(self).__owner_column__
        if column is None:
            return set()
        owner = committed(self, column) if saved else pending_fk(self, column)
        return {owner} if owner is not None else set()

    def check_rules(self, session) -> None:
        """Rules that read other rows (raise a DomainError); called at every flush of a new or
        changed row, after `validate()`. Lifecycle moves are the lifecycles' (`__lifecycles__`)."""

    def propagate(self, session, *, deleted: bool) -> None:
        """What writing (or deleting) this row changes in other rows of the same flush — e.g. a
        payment updates its invoice's stored totals. Called by the flush guard before it walks the
        rows, so the rows changed here are stamped, validated, checked and versioned as usual; it
        may lock the rows it reads (`SELECT ... FOR UPDATE`) and raise a DomainError."""

    def before_archive(self) -> None:
        """Raise a DomainError to refuse archiving (e.g. open deals)."""

    def before_delete(self) -> None:
        """Raise a DomainError to refuse deleting."""

"""Tenancy and row scope, enforced once, below every entry point.

1. Reads: a `do_orm_execute` hook adds `organization_id = <active org>` to every ORM SELECT of a
   `TenantMixin` model, joined or related loads included. Lists, pk routes, related pickers,
   exports, history and downloads all go through the session, so none can see another
   organization's rows: they simply do not exist (404).
2. Writes: a `before_flush` hook stamps organization and audit columns, runs each row's
   `validate()`, refuses foreign keys that point outside the organization, and applies the
   owner rule for roles without `can_edit_all` on the resource.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from app.core import context, lifecycle
from app.core.context import UNSCOPED
from app.core.errors import Forbidden, Invalid
from app.core.integrity import refuse_delete_while_referenced
from app.core.models import ArchiveMixin, AuditMixin, TenantMixin, is_row_scoped, row_scopes, utcnow
from app.core.tenancy import Membership
from app.core.text_rules import text_problem

USER_AUDIT_FKS = {"created_by_id", "updated_by_id", "archived_by_id"}


def tenant_option(org_id: int | None):
    """The loader criteria that scope a statement to one organization."""
    org_id = -1 if org_id is None else org_id  # an unresolved organization sees nothing
    return with_loader_criteria(
        TenantMixin,
        lambda cls: cls.organization_id == org_id,
        include_aliases=True,
        track_closure_variables=True,
    )


@event.listens_for(Session, "do_orm_execute")
def _tenant_criteria(state: ORMExecuteState) -> None:
    if not state.is_select or state.execution_options.get(UNSCOPED):
        return
    if state.is_relationship_load and _unscoped_relationship(state):
        return
    mappers = state.all_mappers
    if mappers and not any(issubclass(m.class_, TenantMixin) for m in mappers):
        return  # only non-tenant entities (users, roles, memberships): nothing to scope
    if not context.in_tenant_request():
        return
    state.statement = state.statement.options(tenant_option(context.current_org_id()), *_assignment_options())


def _unscoped_relationship(state: ORMExecuteState) -> bool:
    """A relationship declared `info={UNSCOPED: True}` loads every organization's rows (the global
    users page lists each user's memberships)."""
    path = getattr(state.loader_strategy_path, "path", ()) or ()
    props = [p for p in path if isinstance(p, sa.orm.RelationshipProperty)]
    return bool(props) and bool(props[-1].info.get(UNSCOPED))


def _assignment_options() -> tuple:
    """Loader criteria for each row-scoped model (`AssignedScope`, `add_row_scope`) on which the
    acting user lacks `can_edit_all`: those rows exist for them only where they are assigned.
    Once per request."""
    from flask import g, has_request_context

    user_id = context.current_user_id()
    cache = g.__dict__.setdefault("_opshub_row_scope", {}) if has_request_context() else {}
    if user_id in cache:
        return cache[user_id]
    options = tuple(
        with_loader_criteria(scope.model, scope.criteria(-1 if user_id is None else user_id), include_aliases=True)
        for scope in row_scopes()
        if not capability("can_edit_all", scope.resource)
    )
    cache[user_id] = options
    return options


def capability(permission: str, resource: str) -> bool:
    """Does the acting user hold `permission` on `resource` (always, for system work)?"""
    from flask import current_app

    return current_app.appbuilder.sm.has_capability(permission, resource)


def _check_foreign_keys(session: Session, obj: TenantMixin, is_new: bool, checked: set | None = None) -> None:
    """`checked`: the references found good earlier in the same flush (a flush of many rows
    naming the same owner asks once)."""
    mapper = sa.inspect(type(obj))
    state = sa.inspect(obj)
    for rel in mapper.relationships:
        if rel.direction.name != "MANYTOONE":
            continue
        (local_col,) = list(rel.local_columns)[:1] or [None]
        if local_col is None or local_col.key in USER_AUDIT_FKS or local_col.key == "organization_id":
            continue
        if local_col.key in getattr(type(obj), "__unchecked_fks__", ()):
            continue
        value = getattr(obj, local_col.key)
        related = getattr(obj, rel.key) if rel.key in state.dict else None
        if related is not None and not state.attrs[local_col.key].history.has_changes():
            # the relationship is what is about to be written (forms and the API set it): the
            # column still holds the saved value until the flush syncs it
            value = getattr(related, "id", None)
        if value is None:
            continue
        if (
            not is_new
            and not state.attrs[local_col.key].history.has_changes()
            and not state.attrs[rel.key].history.has_changes()
        ):
            continue
        target = rel.mapper.class_
        memo = (target, value, obj.organization_id)
        if checked is not None and memo in checked:
            continue
        if issubclass(target, TenantMixin):
            org = session.execute(
                sa.select(target.organization_id).where(target.id == value).execution_options(**{UNSCOPED: True})
            ).scalar()
            ok = org is not None and org == obj.organization_id
        elif target.__tablename__ == "ab_user":
            ok = (
                session.execute(
                    sa.select(Membership.id)
                    .where(Membership.user_id == value, Membership.organization_id == obj.organization_id)
                    .execution_options(**{UNSCOPED: True})
                ).first()
                is not None
            )
        else:
            continue
        if ok and is_row_scoped(target) and not context.is_system():
            # a row the user is not assigned to does not exist for them
            ok = session.execute(sa.select(target.id).where(target.id == value)).first() is not None
        if not ok:
            raise Invalid(f"{rel.key}: not found", {rel.key: ["Not found in this organization."]})
        if checked is not None:
            checked.add(memo)


def _check_lengths(obj) -> None:
    """Text longer than its column is the writer's error (422), whatever the entry point: the
    API's schemas check lengths, services and forms may not; PostgreSQL would raise a 500 and
    SQLite would store it silently."""
    for column in sa.inspect(type(obj)).columns:
        if not isinstance(column.type, sa.String):
            continue
        value = getattr(obj, column.key, None)
        problem = text_problem(value, column.type.length) if isinstance(value, str) else None
        if problem:  # too long for its column (or TEXT_MAX), or control characters: app.core.text_rules
            raise Invalid(f"{column.key}: {problem}", {column.key: [problem]})


def _blank_to_null(obj) -> None:
    """An empty text in a nullable column is no value: a form saved with an empty Notes stores
    NULL, so saving it unchanged changes nothing (no version, no "— → (blank)" in history)."""
    for column in sa.inspect(type(obj)).columns:
        if column.nullable and isinstance(column.type, sa.String) and getattr(obj, column.key, None) == "":
            setattr(obj, column.key, None)


def may_change(obj) -> bool:
    """The owner rule below, read ahead for a page's buttons: may the acting user change this
    row as it is saved?"""
    if capability("can_edit_all", obj.resource_name()):
        return True
    return not obj.owner_user_ids(saved=True) - {context.current_user_id()}


def _check_owner(obj, is_new: bool) -> None:
    """Without can_edit_all a user changes only rows they own — as saved AND as written: taking a
    row over (re-pointing its owner or its parent to oneself) or giving one away both fail."""
    resource = obj.resource_name()
    if capability("can_edit_all", resource):
        return
    user_id = context.current_user_id()
    owners = obj.owner_user_ids(saved=False)
    if not is_new:
        owners |= obj.owner_user_ids(saved=True)
    if owners - {user_id}:
        raise Forbidden(f"You can only change {resource} records you own.")


def _check_row(session: Session, obj, is_new: bool) -> None:
    """A row's own rules, in order: derived fields, lengths, single-row rules, rules that read
    other rows, then its lifecycles (a move outside them is refused; a move is recorded)."""
    if hasattr(obj, "normalize"):
        obj.normalize()
    _check_lengths(obj)
    if hasattr(obj, "validate"):
        obj.validate()
    if hasattr(obj, "check_rules"):
        obj.check_rules(session)
    lifecycle.apply(session, obj, is_new)


def _propagate(session: Session) -> None:
    """Each written row's effects on other rows of the same flush (`propagate()`: an invoice's
    stored totals when one of its lines or payments changes), applied before the guard walks
    the rows, so that the rows changed here are stamped, checked and versioned like the rest."""
    deleted = set(session.deleted)
    for obj in [*session.new, *session.dirty, *deleted]:
        if not isinstance(obj, TenantMixin) or not hasattr(obj, "propagate"):
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        obj.propagate(session, deleted=obj in deleted)


@event.listens_for(Session, "before_flush")
def _guard_writes(session: Session, flush_context, instances) -> None:
    _propagate(session)
    system = context.is_system()
    org_id = context.current_org_id()
    user_id = context.current_user_id()
    now = utcnow()
    checked: set = set()
    for obj in list(session.new):
        if not isinstance(obj, TenantMixin):
            continue
        _blank_to_null(obj)
        if obj.organization_id is None:
            obj.organization_id = org_id
        elif not system and org_id is not None and obj.organization_id != org_id:
            raise Invalid("organization: not the active organization", {"organization": ["Not found."]})
        owner_col = getattr(type(obj), "__owner_column__", None)
        if owner_col and getattr(obj, owner_col) is None and getattr(obj, owner_col.removesuffix("_id"), None) is None:
            setattr(obj, owner_col, user_id)
        if isinstance(obj, AuditMixin):
            obj.created_by_id = obj.created_by_id or user_id
            obj.updated_by_id = obj.updated_by_id or user_id
        _check_row(session, obj, True)
        _check_foreign_keys(session, obj, True, checked)
        if not system and hasattr(obj, "owner_user_ids"):
            _check_owner(obj, True)
    for obj in list(session.dirty):
        if not isinstance(obj, TenantMixin):
            continue
        _blank_to_null(obj)
        if not session.is_modified(obj, include_collections=False):
            continue
        state = sa.inspect(obj)
        if state.attrs.organization_id.history.has_changes():
            raise Invalid("organization: cannot be changed", {"organization": ["Cannot be changed."]})
        if isinstance(obj, AuditMixin):
            obj.updated_at = now
            obj.updated_by_id = user_id
        if isinstance(obj, ArchiveMixin) and state.attrs.archived_at.history.has_changes():
            if obj.archived_at is not None:
                obj.before_archive()
                obj.archived_by_id = user_id
            else:
                obj.archived_by_id = None
        _check_row(session, obj, False)
        _check_foreign_keys(session, obj, False, checked)
        if not system and hasattr(obj, "owner_user_ids"):
            _check_owner(obj, False)
    for obj in list(session.deleted):
        if not isinstance(obj, TenantMixin):
            continue
        if hasattr(obj, "before_delete"):
            obj.before_delete()
        refuse_delete_while_referenced(session, obj)  # 409 naming what still refers to it
        if not system and hasattr(obj, "owner_user_ids"):
            _check_owner(obj, False)

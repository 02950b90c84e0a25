"""Filters shared by every resource's pages and API."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import (
    FilterContains,
    FilterEqual,
    FilterStartsWith,
    SQLAFilterConverter,
    get_field_setup_query,
)

from app.core import context
from app.core.tenancy import Membership
from app.core.validators import LIKE_SPECIALS, escape_like


class NotArchived(BaseFilter):
    """Default list filter: archived rows leave the list until asked for."""

    name = "Not archived"
    arg_name = "nar"

    def apply(self, query, value):
        return query.filter(self.model.archived_at.is_(None))


class MembersOfActiveOrg(BaseFilter):
    """Related pickers for users offer only members of the active organization."""

    name = "Member"
    arg_name = "mem"

    def apply(self, query, value):
        org_id = context.current_org_id()
        members = sa.select(Membership.user_id).where(Membership.organization_id == (org_id or -1))
        return query.filter(self.model.id.in_(members))


def member_pickers(datamodel, columns) -> dict[str, list]:
    """`*_query_rel_fields` for every relation to users among `columns`: members only."""
    return {
        col: [["id", MembersOfActiveOrg, None]]
        for col in columns
        if datamodel.is_relation(col) and datamodel.get_related_model(col).__tablename__ == "ab_user"
    }


class IndexedStartsWith(FilterStartsWith):
    """FAB's "starts with" (`sw`), case-insensitive as before, written so that an index answers
    it (see migrations/versions/0002_search_indexes.py): `lower(col) LIKE 'abc%'` on PostgreSQL,
    `col LIKE 'abc%'` on SQLite (whose LIKE ignores ASCII case). A value with LIKE wildcards in
    it is matched literally."""

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        value = "" if value is None else str(value)
        if any(ch in value for ch in LIKE_SPECIALS):
            return query.filter(field.ilike(escape_like(value) + "%", escape="\\"))
        if query.session.get_bind().dialect.name == "postgresql":
            return query.filter(sa.func.lower(field).like(value.lower() + "%"))
        return query.filter(field.like(value + "%"))


def _text_first(filters: list) -> list:
    """Text filters offer "contains" first (what people mean by a search), then "equal to", then
    an index-friendly "starts with"."""
    filters = [IndexedStartsWith if f is FilterStartsWith else f for f in filters]
    first = [f for f in (FilterContains, FilterEqual) if f in filters]
    return [*first, *[f for f in filters if f not in first]]


class OpsFilterConverter(SQLAFilterConverter):
    conversion_table = tuple(
        (test, _text_first(filters) if test in ("is_text", "is_string") else filters)
        for test, filters in SQLAFilterConverter.conversion_table
    )


class QuickSearch(BaseFilter):
    """The list's search box: one term, "contains", over the resource's quick-search columns
    (`Columns.quick`), case-insensitive. PostgreSQL answers it from trigram indexes (migration
    0010); on SQLite the list walks its order index and stops at a page of matches."""

    name = "Search"
    arg_name = "search"
    columns: tuple[str, ...] = ()

    def apply(self, query, value):
        pattern = f"%{escape_like(str(value))}%"
        return query.filter(sa.or_(*(getattr(self.model, c).ilike(pattern, escape="\\") for c in self.columns)))


@functools.cache
def _quick_search_class(columns: tuple[str, ...]) -> type[QuickSearch]:
    # the columns live on the class: FAB rebuilds filters from (column, class, value)
    return type("QuickSearch", (QuickSearch,), {"columns": columns})


def with_quick_search(filters, datamodel, columns: tuple[str, ...], term: str | None):
    """A copy of `filters` that also applies the search box's `term` (unchanged without one)."""
    term = (term or "").strip()[:200]
    if not term or not columns:
        return filters
    out = filters.copy()
    out.filters.append(_quick_search_class(tuple(columns))("id", datamodel))
    out.values.append(term)
    return out


class OwnedByMe(BaseFilter):
    """`(filters:!((col:owner,opr:mine,value:1)))` — rows whose user column (`owner`,
    `assignee`) is the current user."""

    name = "Is me"
    arg_name = "mine"
    flag = True  # takes no value: clients offer it as a switch (app/core/describe.py)

    def apply(self, query, value):
        return query.filter(getattr(self.model, f"{self.column_name}_id") == context.current_user_id())


class IsEmpty(BaseFilter):
    """`(filters:!((col:support,opr:empty,value:1)))` — rows where the column (or the relation's
    foreign key) has no value: events without support, contracts not signed."""

    name = "Is empty"
    arg_name = "empty"
    flag = True

    def apply(self, query, value):
        column = getattr(self.model, self.column_name)
        prop = getattr(column, "property", None)
        if prop is not None and hasattr(prop, "local_columns"):  # a relation: its foreign key
            column = next(iter(prop.local_columns))
        return query.filter(column.is_(None))

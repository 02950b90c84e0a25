"""One column spec per resource, read by both its page and its API (`columns = CLIENT_COLUMNS`
on an `OpsModelView` or an `OpsModelRestApi`).

Names are model attributes; a relation is named as such (`owner`, `client`): the page shows the
related record, the API gives `owner.id` and `owner.username` (the related model's label column).
The API adds its bookkeeping columns (`id`, `version`, `archived_at`, timestamps)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

# the column a related record is named by, per table (else the model's __lookup_column__)
LABEL_COLUMNS = {"ab_user": "username"}
API_LIST_BOOKKEEPING = ("archived_at", "version", "updated_at")
API_SHOW_BOOKKEEPING = ("archived_at", "version", "created_at", "updated_at")
PAGE_SHOW_BOOKKEEPING = ("created_at", "updated_at")  # the version is internal: not shown


def label_column(model: type) -> str:
    return LABEL_COLUMNS.get(getattr(model, "__tablename__", ""), getattr(model, "__lookup_column__", "name"))


@dataclass(frozen=True)
class Columns:
    list: tuple[str, ...]
    show: tuple[str, ...]
    form: tuple[str, ...]  # the add form (and the edit form unless `edit` is given)
    search: tuple[str, ...]
    order: tuple[str, ...]
    base_order: tuple[str, str]
    edit: tuple[str, ...] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    descriptions: Mapping[str, str] = field(default_factory=dict)
    # the pages show a column through another attribute: {"amount": "amount_label"}
    shown_as: Mapping[str, str] = field(default_factory=dict)
    # derived attributes that only the pages show (a property, not a column), and columns only
    # the API lists (a page shows them another way: the currency inside the amount)
    page_only: frozenset[str] = frozenset()
    api_only: frozenset[str] = frozenset()
    # list columns the API computes in SQL (name -> a correlated scalar subquery); the model
    # has a property of the same name for the pages
    computed: Mapping[str, Callable[[], Any]] = field(default_factory=dict)
    # the text columns the list's search box looks in ("contains"); default: the text columns
    # among `search`
    quick: tuple[str, ...] | None = None
    # comma-separated text the pages show as chips
    chips: tuple[str, ...] = ("tags",)
    # a record with the same value here is likely a duplicate: the form says so before saving
    duplicates: tuple[str, ...] = ()

    def quick_columns(self, model: type) -> tuple[str, ...]:
        if self.quick is not None:
            return self.quick
        columns = sa.inspect(model).columns
        return tuple(
            c for c in self.search if c in columns and isinstance(columns[c].type, sa.String) and c not in self.computed
        )

    # ---------------------------------------------------------------- pages
    def page_attributes(self) -> dict[str, Any]:
        def shown(cols):
            return [self.shown_as.get(c, c) for c in cols if c not in self.api_only]

        labels = dict(self.labels)
        for col, attr in self.shown_as.items():
            if col in labels:
                labels.setdefault(attr, labels[col])
        return {
            "list_columns": shown(self.list),
            "show_columns": [*shown(self.show), *[c for c in PAGE_SHOW_BOOKKEEPING if c not in self.show]],
            "add_columns": list(self.form),
            "edit_columns": list(self.edit or self.form),
            "search_columns": list(self.search),
            "order_columns": [self.shown_as.get(c, c) for c in self.order],
            "base_order": self.base_order,
            "label_columns": labels,
            "description_columns": dict(self.descriptions),
        }

    def sort_key(self, model: type, column: str) -> str:
        """What a page's sort by `column` orders on: a column shown through another attribute
        sorts by the column (`amount_label` by `amount`), a relation by the related record's name
        (`owner` by `owner.username`)."""
        column = next((c for c, shown in self.shown_as.items() if shown == column), column)
        relations = {rel.key: rel.mapper.class_ for rel in sa.inspect(model).relationships}
        if column in relations:
            return f"{column}.{label_column(relations[column])}"
        return column

    # ---------------------------------------------------------------- API
    def api_attributes(self, model: type) -> dict[str, Any]:
        relations = {rel.key: rel.mapper.class_ for rel in sa.inspect(model).relationships}
        # a foreign key column named in the spec (`assignment_id`) is shown through its relation
        # on the API (FAB's schemas leave foreign keys out): another domain may have added the
        # relation to a column that was a plain integer
        by_fk = {
            next(iter(rel.local_columns)).key: rel.key
            for rel in sa.inspect(model).relationships
            if rel.direction.name == "MANYTOONE" and len(rel.local_columns) == 1
        }

        def expand(cols, tail):
            out = ["id"]
            for col in cols:
                if col in self.page_only:
                    continue
                col = by_fk.get(col, col) if col not in self.computed else col
                if col in relations and col not in self.computed:
                    out += [f"{col}.id", f"{col}.{label_column(relations[col])}"]
                elif col not in out:
                    out.append(col)
            return out + [c for c in tail if c not in out]

        return {
            "list_columns": expand(self.list, API_LIST_BOOKKEEPING),
            "show_columns": expand(self.show, API_SHOW_BOOKKEEPING),
            "add_columns": list(self.form),
            "edit_columns": list(self.edit or self.form),
            "search_columns": [*self.search, "archived_at"],
            "order_columns": [
                "id",
                *[f"{c}.{label_column(relations[c])}" if c in relations else c for c in self.order if c != "id"],
                "updated_at",
            ],
            "base_order": self.base_order,
            "label_columns": dict(self.labels),
            "description_columns": dict(self.descriptions),
            "computed_columns": dict(self.computed) or None,
        }

"""What a resource exports and imports, read from its declaration.

Most resources declare nothing: the import columns are the resource's form columns (add and edit,
from its column spec, app/core/columns.py), a related record is named by its label column (a user
by username, a client by name: `columns.label_column`) or by its id (`client_id`), and a file may
match rows on `id` or on any plain text column it imports (`email`, `name`). A resource that wants
otherwise declares `Resource(..., exchange=Exchange(columns=..., keys=..., related=...))`.

An export writes `id`, `version` and the import columns (a relation by its label, and a tenant
relation by its id too), so that an export imports back unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.core.columns import label_column
from app.core.models import TenantMixin

BOOKKEEPING_HEADERS = ("id", "version")


@dataclass(frozen=True)
class Exchange:
    """A resource's own export/import declaration (every field optional)."""

    columns: tuple[str, ...] | None = None  # import columns, in export order
    keys: tuple[str, ...] | None = None  # columns a file may match its rows on (`key`)
    related: Mapping[str, str] = field(default_factory=dict)  # relation -> the attribute naming it


@dataclass(frozen=True)
class Relation:
    name: str  # the relationship (`client`)
    target: type
    fk: str  # the foreign key column (`client_id`)
    label: str  # the target's attribute that names it (`name`, `username`)
    tenant: bool  # the target is an organization's row (else a user)


@dataclass(frozen=True)
class Plan:
    """One resource's columns for export and import, resolved once."""

    resource: str
    model: type
    columns: tuple[str, ...]  # import columns (relations by relationship name)
    relations: Mapping[str, Relation]
    keys: tuple[str, ...]
    add_fields: frozenset[str]
    edit_fields: frozenset[str]
    types: Mapping[str, Any]  # column -> SQLAlchemy type (plain columns only)

    @property
    def export_headers(self) -> list[str]:
        out = list(BOOKKEEPING_HEADERS)
        for col in self.columns:
            out.append(col)
            rel = self.relations.get(col)
            if rel is not None and rel.tenant:
                out.append(rel.fk)
        return out

    def header_for(self, raw: str) -> str | None:
        """The column a file header names (case and surrounding spaces ignored), or None."""
        name = raw.strip().lower()
        known = {h.lower(): h for h in self.export_headers}
        for rel in self.relations.values():
            known.setdefault(rel.fk.lower(), rel.fk)
            known.setdefault(f"{rel.name}.id".lower(), rel.fk)
            known.setdefault(f"{rel.name}.{rel.label}".lower(), rel.name)
        return known.get(name)


_plans: dict[str, Plan] = {}


def plan_for(resource) -> Plan:
    """The plan of a registry `Resource` (cached per resource name)."""
    cached = _plans.get(resource.name)
    if cached is not None and cached.model is resource.model:
        return cached
    declared: Exchange = resource.exchange or Exchange()
    model = resource.model
    api = resource.api
    spec = getattr(api, "columns", None) or getattr(resource.view, "columns", None)
    add = tuple(spec.form) if spec is not None else tuple(getattr(api, "add_columns", ()) or ())
    edit = tuple(spec.edit or spec.form) if spec is not None else tuple(getattr(api, "edit_columns", ()) or add)
    columns = declared.columns or tuple(dict.fromkeys([*add, *edit]))
    mapper = sa.inspect(model)
    relations: dict[str, Relation] = {}
    types: dict[str, Any] = {}
    for col in columns:
        if col in mapper.relationships:
            rel = mapper.relationships[col]
            target = rel.mapper.class_
            (fk,) = [c.key for c in rel.local_columns][:1]
            label = declared.related.get(col) or label_column(target)
            relations[col] = Relation(col, target, fk, label, issubclass(target, TenantMixin))
        elif col in mapper.columns:
            types[col] = mapper.columns[col].type
        else:
            raise TypeError(f"{resource.name}: import column {col!r} is neither a column nor a relation")
    keys = declared.keys or (
        "id",
        *[c for c in columns if c in types and isinstance(types[c], sa.String) and not isinstance(types[c], sa.Text)],
    )
    plan = Plan(
        resource=resource.name,
        model=model,
        columns=tuple(columns),
        relations=relations,
        keys=tuple(keys),
        add_fields=frozenset(add),
        edit_fields=frozenset(edit),
        types=types,
    )
    _plans[resource.name] = plan
    return plan

"""Changes as people read them (history tabs, the audit log, timelines): field labels instead of
column names, related records by name with a link (`Client: Acme Corporation`, not
`client_id: 1`), users by name, yes/no as ✓/—. Names are looked up in one query per related
table for a whole page of changes, through the scoped session: a row the reader may not see
stays a number."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_appbuilder.security.sqla.models import User
from markupsafe import Markup
from sqlalchemy.orm import Session

from app.core.registry import registry

# a datetime as history stores it (`plain()`: isoformat, seconds and microseconds optional)
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?")
BLANK = Markup('<span class="text-muted">—</span>')


def field_label(model: type, key: str) -> str:
    resource = registry.resource_for_model(model)
    spec = getattr(resource.view, "columns", None) if resource and resource.view else None
    name = key.removesuffix("_id") if key.endswith("_id") else key
    labels = dict(spec.labels) if spec is not None else {}
    return labels.get(name) or labels.get(key) or name.replace("_", " ").capitalize()


def _targets(model: type) -> dict[str, type]:
    """column key -> the model its foreign key points at (users included)."""
    out = {}
    by_table = {
        m.class_.__tablename__: m.class_
        for m in sa.inspect(model).registry.mappers
        if hasattr(m.class_, "__tablename__")
    }
    for column in sa.inspect(model).columns:
        for fk in column.foreign_keys:
            target = by_table.get(fk.column.table.name)
            if target is not None and column.key not in ("organization_id",):
                out[column.key] = target
    return out


class Readable:
    """Collect the changes of a page, then render them with one name lookup per related table."""

    def __init__(self, session: Session):
        self.session = session
        self._wanted: dict[type, set[int]] = defaultdict(set)
        self._names: dict[tuple[type, int], str] = {}

    def collect(self, model: type, changes: dict[str, list[Any]]) -> None:
        targets = _targets(model)
        for key, pair in changes.items():
            if key in targets:
                self._wanted[targets[key]].update(v for v in pair if isinstance(v, int))

    def resolve(self) -> None:
        for target, ids in self._wanted.items():
            ids = ids - {i for (t, i) in self._names if t is target}
            if not ids:
                continue
            if target is User:
                rows = self.session.execute(
                    sa.select(User.id, User.first_name, User.last_name, User.username).where(User.id.in_(ids))
                ).all()
                for uid, first, last, username in rows:
                    self._names[(User, uid)] = f"{first} {last}".strip() or username
            else:
                for row in self.session.scalars(sa.select(target).where(target.id.in_(ids))).unique():
                    self._names[(target, row.id)] = str(row)

    def _value(self, target: type | None, value: Any) -> Any:
        if value is None or value == "":
            return BLANK
        if isinstance(value, bool):
            return "✓" if value else "—"
        if target is None:
            if isinstance(value, str) and ISO_MOMENT.fullmatch(value):
                return f"{value[:10]} {value[11:16]}"  # a moment as people read it, to the minute
            return value
        name = self._names.get((target, value))
        if name is None:
            return f"#{value}"
        resource = registry.resource_for_model(target)
        if resource is not None and resource.view is not None:
            url = url_for(f"{resource.view.__name__}.show", pk=value)
            return Markup('<a href="{}">{}</a>').format(url, name)
        return name

    def render(self, model: type, changes: dict[str, list[Any]]) -> list[dict[str, Any]]:
        targets = _targets(model)
        return [
            {
                "field": key,
                "label": field_label(model, key),
                "old": self._value(targets.get(key), pair[0]),
                "new": self._value(targets.get(key), pair[1]),
            }
            for key, pair in changes.items()
        ]

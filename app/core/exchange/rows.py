"""One row of a file applied to the session exactly as the resource's API would write it.

`Applier.apply(data)` finds the record the row's key names (through the session, so tenancy and
row scope apply: another organization's id is simply not found), turns related records named by
label or id into ids (scoped the same way), loads the row through the resource API's own
marshmallow add or edit schema (types, lengths, unknown fields) and its `pre_add`/`pre_update`
hooks, and leaves the record in the session. The flush — by the caller, per batch — runs every
model rule (`app/core/scope.py`'s flush guard). Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.core import context
from app.core.errors import MAX_ID, DomainError
from app.core.exchange.spec import Plan, Relation
from app.core.history import plain
from app.core.tenancy import Membership
from app.core.uow import STALE_MESSAGE, integrity_message
from app.extensions import db

ROW = "_row"  # the errors key of a message about the row as a whole


class RowError(Exception):
    def __init__(self, fields: dict[str, list[str]]):
        super().__init__(fields)
        self.fields = fields


def error_fields(exc: BaseException) -> dict[str, list[str]]:
    """The per-field messages of any refusal a row can meet."""
    if isinstance(exc, RowError):
        return exc.fields
    if isinstance(exc, ValidationError):
        return _flatten(exc.messages)
    if isinstance(exc, DomainError):
        return {k: [str(m) for m in v] for k, v in exc.fields.items()} or {ROW: [exc.message]}
    if isinstance(exc, IntegrityError):
        return {ROW: [integrity_message(exc)]}
    if isinstance(exc, StaleDataError):
        return {ROW: [STALE_MESSAGE]}
    raise exc


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(messages, dict):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for k, v in _flatten(value, name).items():
                out.setdefault(k if k != "_schema" else ROW, []).extend(v)
        return out
    if isinstance(messages, (list, tuple)):
        flat: list[str] = []
        for m in messages:
            flat.extend(_flatten(m, prefix).get(prefix or ROW, [str(m)]) if isinstance(m, dict) else [str(m)])
        return {prefix or ROW: flat}
    return {prefix or ROW: [str(messages)]}


@dataclass
class Applied:
    action: str  # "create" or "update" (unchanged is decided after the flush)
    record: Any
    before: dict[str, Any] = field(default_factory=dict)
    version: int | None = None  # the record's version before the row (updates)


class Applier:
    """Applies rows of one file (one resource, one match column) to the session."""

    def __init__(self, plan: Plan, api, key: str, headers: list[str]):
        self.plan = plan
        self.api = api
        self.key = key
        self.headers = headers
        self._related: dict[tuple[str, str, str], int] = {}
        self._found: dict[str, Any] = {}
        # one schema instance of each for all the rows (a fresh one per row costs a deep copy)
        self.add_schema = api._fresh(api.add_model_schema)
        self.edit_schema = api._fresh(api.edit_model_schema)

    # ------------------------------------------------------------ the records rows name, a batch at once
    def prefetch(self, datas: list[dict[str, str]]) -> None:
        """Look up the records a batch of rows names in one query (`find` then reads them)."""
        model = self.plan.model
        texts = {(d.get(self.key) or "").strip() for d in datas} - {""}
        found: dict[str, Any] = {}
        if self.key == "id":
            ids = {int(t) for t in texts if t.isdigit() and 0 < int(t) <= MAX_ID}
            for start in range(0, len(ids), 500):
                chunk = sorted(ids)[start : start + 500]
                for record in db.session.scalars(sa.select(model).where(model.id.in_(chunk))):
                    found[str(record.id)] = record
            for text in texts:
                if text.isdigit() and text not in found and str(int(text)) in found:
                    found[text] = found[str(int(text))]
        else:
            column = getattr(model, self.key)
            listed = sorted(texts)
            for start in range(0, len(listed), 500):
                for record in db.session.scalars(sa.select(model).where(column.in_(listed[start : start + 500]))):
                    value = str(getattr(record, self.key))
                    found[value] = RowError(self._several()) if value in found else record
            for text in texts:
                found.setdefault(text, None)
        self._found = found

    def forget(self) -> None:
        self._found = {}

    def _several(self) -> dict[str, list[str]]:
        return {self.key: [f"Several records have this {self.key}; match on id instead."]}

    # ------------------------------------------------------------ the record a row names
    def find(self, data: dict[str, str]) -> Any:
        """The record the row's key names, None for a new one; RowError if it cannot be told."""
        model = self.plan.model
        text = (data.get(self.key) or "").strip()
        if text in self._found:
            hit = self._found[text]
            if isinstance(hit, RowError):
                raise hit
            return hit
        if self.key == "id":
            if not text:
                return None
            if not text.isdigit() or not 0 < int(text) <= MAX_ID:
                raise RowError({"id": ["Not a valid id."]})
            found = db.session.scalars(sa.select(model).where(model.id == int(text))).first()
            if found is None:
                raise RowError({"id": [f"No {self.plan.resource} with id {text} in this organization."]})
            return found
        if not text:
            raise RowError({self.key: ["Empty: this column matches the rows, so each row needs a value."]})
        rows = db.session.scalars(sa.select(model).where(getattr(model, self.key) == text).limit(2)).all()
        if len(rows) > 1:
            raise RowError(self._several())
        return rows[0] if rows else None

    def key_of(self, data: dict[str, str]) -> str:
        return (data.get(self.key) or "").strip()[:255]

    # ------------------------------------------------------------ the body an API write would get
    def body(self, data: dict[str, str], record: Any) -> dict[str, Any]:
        body: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for col in self.plan.columns:
            rel = self.plan.relations.get(col)
            if rel is not None:
                if rel.fk in data or col in data:
                    try:
                        body[col] = self._related_id(rel, data.get(rel.fk, ""), data.get(col, ""))
                    except RowError as exc:
                        errors.update(exc.fields)
            elif col in data:
                text = data[col]
                if text == "":
                    current = getattr(record, col, None) if record is not None else None
                    body[col] = "" if current == "" else None
                else:
                    body[col] = text
        if errors:
            raise RowError(errors)
        return body

    def _related_id(self, rel: Relation, id_text: str, label_text: str) -> int | None:
        id_text, label_text = (id_text or "").strip(), (label_text or "").strip()
        if not id_text and not label_text:
            return None
        cache_key = (rel.name, id_text, label_text)
        if cache_key in self._related:
            return self._related[cache_key]
        target = rel.target
        label = getattr(target, rel.label)
        if id_text:
            if not id_text.isdigit() or not 0 < int(id_text) <= MAX_ID:
                raise RowError({rel.fk: ["Not a valid id."]})
            stmt = sa.select(target.id, label).where(target.id == int(id_text))
        else:
            stmt = sa.select(target.id, label).where(label == label_text)
        if not rel.tenant:  # users: members of the active organization only
            org_id = context.current_org_id() or -1
            members = sa.select(Membership.user_id).where(Membership.organization_id == org_id)
            stmt = stmt.where(target.id.in_(members))
        found = db.session.execute(stmt.limit(2)).all()
        name = rel.name.replace("_", " ")
        if not found:
            what = f"id {id_text}" if id_text else f"{rel.label} {label_text!r}"
            raise RowError({rel.fk if id_text else rel.name: [f"No {name} with {what} in this organization."]})
        if len(found) > 1:
            raise RowError({rel.name: [f"Several {name} records are named {label_text!r}; give {rel.fk} instead."]})
        pk, found_label = found[0]
        if id_text and label_text and str(found_label) != label_text:
            raise RowError({rel.name: [f"{rel.fk} {id_text} is {found_label!r}, not {label_text!r}."]})
        self._related[cache_key] = pk
        return pk

    # ------------------------------------------------------------ apply
    def apply(self, data: dict[str, str], record: Any) -> Applied:
        """Load the row into `record` (or a new record) through the API's schemas and hooks."""
        api = self.api
        try:
            body = self.body(data, record)
        except RowError as exc:
            raise RowError({**self._schema_errors(data, record, exc.fields), **exc.fields}) from None
        version = (data.get("version") or "").strip()
        if record is None:
            add = {k: v for k, v in body.items() if k in self.plan.add_fields}
            extra = {k: v for k, v in body.items() if k not in self.plan.add_fields and v is not None}
            item = None
            try:
                item = api.load_body(self.add_schema, add)
                if extra:
                    item = api.load_body(self.edit_schema, api._merge_update_item(item, extra), instance=item)
                api.pre_add(item)
                db.session.add(item)
            except BaseException:
                self.discard(item)  # a related record's backref may have put it in the session
                raise
            return Applied("create", item)
        if version and version != str(record.version):
            raise RowError(
                {"version": [f"Changed by someone else since the file was made (version {record.version} now)."]}
            )
        before = self.snapshot(record)
        version_seen = record.version
        edit = {k: v for k, v in body.items() if k in self.plan.edit_fields}
        try:
            api.load_body(self.edit_schema, api._merge_update_item(record, edit), instance=record)
            api.pre_update(record)
        except BaseException:
            db.session.expire(record)  # a half-loaded row leaves nothing behind
            raise
        return Applied("update", record, before, version_seen)

    def _schema_errors(self, data: dict[str, str], record: Any, known: dict[str, list[str]]) -> dict[str, list[str]]:
        """The schema's messages on the row's other fields, so that a row shows all its errors at
        once (a bad related record is found before the schema runs). Nothing is kept."""
        fields = {c for c in known} | {self.plan.relations[c].fk for c in known if c in self.plan.relations}
        rest = {k: v for k, v in data.items() if k not in fields and k not in self.plan.relations}
        rest = {k: v for k, v in rest.items() if not any(r.fk == k for r in self.plan.relations.values())}
        try:
            body = self.body(rest, record)
            schema = self.add_schema if record is None else self.edit_schema
            names = self.plan.add_fields if record is None else self.plan.edit_fields
            with db.session.no_autoflush:
                errors = schema.validate({k: v for k, v in body.items() if k in names}, partial=True)
            return _flatten(errors) if errors else {}
        except (RowError, DomainError):
            return {}

    def discard(self, applied_record: Any) -> None:
        """Undo a row that failed before the flush."""
        session = db.session
        if applied_record is None:
            return
        state = sa.inspect(applied_record)
        if state.pending:
            session.expunge(applied_record)
        elif state.persistent:
            session.expire(applied_record)

    # ------------------------------------------------------------ what changed
    def snapshot(self, record: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for col in self.plan.columns:
            rel = self.plan.relations.get(col)
            if rel is not None:
                related = getattr(record, col, None)
                out[col] = getattr(related, rel.label, None) if related is not None else None
            else:
                out[col] = plain(getattr(record, col, None))
        return out

    def changes(self, applied: Applied) -> dict[str, list[Any]]:
        after = self.snapshot(applied.record)
        present = {
            c
            for c in self.plan.columns
            if c in self.headers or (c in self.plan.relations and self.plan.relations[c].fk in self.headers)
        }
        out = {}
        for col in self.plan.columns:
            if col not in present:
                continue
            old = applied.before.get(col) if applied.action == "update" else None
            new = after.get(col)
            if _blank(old) and _blank(new):
                continue
            if old != new:
                out[col] = [old, new]
        return out


def _blank(value: Any) -> bool:
    return value is None or value == ""

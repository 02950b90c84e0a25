"""Refusals a person can read instead of database text.

* A hard delete that other rows still point at is refused before the flush, naming what blocks
  it ("2 contacts and 1 deal still refer to this client"), on every entry point: the flush guard
  in app.core.scope calls `refuse_delete_while_referenced`.
* An IntegrityError that a rule could not see coming (two requests racing) is answered with a
  sentence chosen by the kind of constraint; the database's message (table, column, constraint
  names, values) stays in the log.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.core.errors import Conflict

log = logging.getLogger(__name__)

# SQLSTATE (PostgreSQL) or the words SQLite starts its message with -> the sentence
GENERIC_MESSAGES = (
    ("23503", "FOREIGN KEY", "Other records still refer to this record, or it refers to one that does not exist."),
    ("23505", "UNIQUE", "Conflicts with an existing record."),
    ("23502", "NOT NULL", "A required value is missing."),
    ("23514", "CHECK", "A value breaks a rule of this record."),
)


def generic_message(exc: IntegrityError) -> str:
    log.info("integrity error: %s", exc.orig)
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    text = str(exc.orig).upper()
    for state, words, message in GENERIC_MESSAGES:
        if sqlstate == state or text.startswith(words):
            return message
    return "Conflicts with an existing record."


def _label(table: sa.Table, count: int) -> str:
    word = table.name.replace("_", " ")
    if count != 1:
        word = word[:-1] + "ies" if word.endswith("y") else word + "s"
    return f"{count} {word}"


def _referencing(table: sa.Table) -> list[tuple[sa.Table, sa.Column]]:
    """Columns of other tables pointing at `table` that the database does not clear itself."""
    from flask_appbuilder import Model

    found = []
    for other in Model.metadata.tables.values():
        for fk in other.foreign_keys:
            if fk.column.table is table and (fk.ondelete or "").upper() not in ("CASCADE", "SET NULL"):
                found.append((other, fk.parent))
    return found


def refuse_delete_while_referenced(session, obj) -> None:
    """Raise a Conflict naming the rows that still refer to `obj`, leaving out those deleted in
    the same flush (the ORM's delete cascades, e.g. a deal's activities)."""
    from app.core.context import UNSCOPED

    mapper = sa.inspect(type(obj))
    table = mapper.local_table
    pk = mapper.primary_key[0]
    pk_value = getattr(obj, mapper.get_property_by_column(pk).key)
    if pk_value is None:
        return
    going = {}
    for other in session.deleted:
        other_table = sa.inspect(type(other)).local_table
        going.setdefault(other_table.name, set()).add(getattr(other, "id", None))
    parts = []
    for other, column in _referencing(table):
        stmt = sa.select(sa.func.count()).select_from(other).where(column == pk_value)
        gone = going.get(other.name)
        if gone and "id" in other.c:
            stmt = stmt.where(other.c.id.not_in([g for g in gone if g is not None]))
        with session.no_autoflush:
            count = session.execute(stmt.execution_options(**{UNSCOPED: True})).scalar_one()
        if count:
            parts.append(_label(other, count))
    if parts:
        what = table.name.replace("_", " ")
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        verb = "refers" if len(parts) == 1 and listed.startswith("1 ") else "refer"
        raise Conflict(
            f"This {what} cannot be deleted: {listed} still {verb} to it. Archive it instead, or delete those first.",
            {"delete": [f"{listed} still {verb} to this {what}."]},
        )

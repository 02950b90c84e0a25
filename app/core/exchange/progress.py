"""How far a long analysis or commit has got, in the database, so that whichever worker answers
the page's poll can tell.

Written through a connection of its own and committed at once: the work's own transaction is
still open (a commit is one transaction). On PostgreSQL that is any pooled connection. SQLite has
one writer at a time: while an import's transaction holds the write lock, a progress write would
wait for it, so it gives up after a few milliseconds instead — the analysis commits between its
chunks, so its progress shows; a commit's shows only its start and its end there.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError

from app.core.exchange.models import ChangeSetProgress
from app.core.models import utcnow
from app.extensions import db

log = logging.getLogger(__name__)
TABLE = ChangeSetProgress.__table__


def _separate_connection_possible() -> bool:
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return True
    database = engine.url.database
    return bool(database) and database != ":memory:"  # an in-memory database is one connection


def report(change_set_id: int, phase: str, done: int, total: int) -> None:
    if not _separate_connection_possible():
        return
    values = {"phase": phase, "done": done, "total": total, "updated_at": utcnow()}
    try:
        with db.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                conn.exec_driver_sql("PRAGMA busy_timeout=20")
            try:
                updated = conn.execute(
                    TABLE.update().where(TABLE.c.change_set_id == change_set_id).values(**values)
                ).rowcount
                if not updated:
                    conn.execute(TABLE.insert().values(change_set_id=change_set_id, **values))
                conn.commit()
            finally:
                if sqlite:
                    conn.rollback()
                    conn.exec_driver_sql("PRAGMA busy_timeout=5000")
    except (OperationalError, IntegrityError) as exc:  # locked (SQLite) or a concurrent first write
        log.debug("progress of change set %s not written: %s", change_set_id, exc)


def read(change_set_id: int) -> dict | None:
    row = db.session.execute(sa.select(TABLE).where(TABLE.c.change_set_id == change_set_id)).mappings().first()
    if row is None:
        return None
    total = row["total"] or 0
    return {
        "phase": row["phase"],
        "done": row["done"],
        "total": total,
        "percent": round(100 * row["done"] / total) if total else 0,
        "updated_at": row["updated_at"].isoformat() if row["updated_at"] else None,
    }

"""Versioned bulk rows for the seed's scale loaders and the benchmarks: plain INSERTs of the rows
together with the Continuum version row and the audit row of each — the history a create
through the ORM leaves, at bulk speed. Never used for user-facing writes, which go through the
ORM unit of work (the rules run there)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy_continuum import version_class

from app.core.audit import AuditRecord
from app.core.versioning import transaction_model
from app.extensions import db

Batch = list[tuple[type, list[dict]]]  # one transaction: (model, rows) in insert order


def next_id(model) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


def audit_columns(organization_id: int, user_id: int, now: datetime) -> dict:
    return {
        "organization_id": organization_id,
        "created_at": now,
        "updated_at": now,
        "created_by_id": user_id,
        "updated_by_id": user_id,
    }


def record_columns(organization_id: int, user_id: int, now: datetime) -> dict:
    """A new business record's bookkeeping: audit columns, not archived, version 1."""
    return {**audit_columns(organization_id, user_id, now), "archived_at": None, "archived_by_id": None, "version": 1}


def write_versioned(batches: Iterable[Batch], *, user_id: int, organization_id: int) -> int:
    """Insert each batch as one transaction (its rows, their versions, their audit rows); return
    the number of rows of the batches' first model."""
    conn = db.session.connection()
    Tx = transaction_model().__table__
    now = datetime.utcnow()
    tables: set[str] = set()
    counted = 0
    for batch in batches:
        tx_id = conn.execute(
            sa.insert(Tx)
            .values(
                issued_at=now,
                user_id=user_id,
                organization_id=organization_id,
                action="create",
                request_id="seed-scale",
            )
            .returning(Tx.c.id)
        ).scalar_one()
        for i, (model, rows) in enumerate(batch):
            if not rows:
                continue
            _insert(conn, model, rows, tx_id, organization_id)
            tables.add(model.__tablename__)
            counted += len(rows) if i == 0 else 0
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        for table in sorted(tables):
            db.session.execute(
                sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return counted


def _insert(conn, model, rows: list[dict], tx_id: int, organization_id: int) -> None:
    version_table = version_class(model).__table__
    conn.execute(sa.insert(model.__table__), rows)
    conn.execute(
        sa.insert(version_table),
        [
            {
                **{c: v for c, v in r.items() if c in version_table.c},
                "transaction_id": tx_id,
                "end_transaction_id": None,
                "operation_type": 0,
            }
            for r in rows
        ],
    )
    conn.execute(
        sa.insert(AuditRecord.__table__),
        [
            {
                "transaction_id": tx_id,
                "organization_id": organization_id,
                "resource": model.__name__,
                "record_id": r["id"],
                "action": "create",
            }
            for r in rows
        ],
    )


def in_batches(n: int, size: int) -> Iterable[tuple[int, int]]:
    """(start, count) of each batch of `size` over `n` items."""
    done = 0
    while done < n:
        count = min(size, n - done)
        yield done, count
        done += count

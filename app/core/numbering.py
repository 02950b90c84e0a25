"""Gapless numbers per organization and series (`INV/2026/0012`, `VAL/2026/0003`): a counter row
per (organization, series, year), incremented by an UPDATE ... RETURNING in the caller's
transaction. The UPDATE locks the row until that transaction ends, so concurrent allocations
queue behind it and each gets the next number; a transaction that rolls back gives its number
back (never max()+1, which two transactions read alike — Odoo's "no gap" sequences work the
same way). The counter is bookkeeping, not a business record: it is not versioned."""

from __future__ import annotations

import sqlalchemy as sa
from flask_appbuilder import Model

from app.extensions import db


class NumberCounter(Model):
    __tablename__ = "number_counter"
    __table_args__ = (sa.UniqueConstraint("organization_id", "series", "year"),)

    id = sa.Column(sa.Integer, primary_key=True)
    organization_id = sa.Column(sa.Integer, sa.ForeignKey("organization.id"), nullable=False)
    series = sa.Column(sa.String(16), nullable=False)
    year = sa.Column(sa.Integer, nullable=False)
    value = sa.Column(sa.Integer, nullable=False, default=0)


def _insert(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(NumberCounter.__table__)


def allocate(organization_id: int, series: str, year: int) -> int:
    """The next number of `series` in `year` for the organization (1, 2, 3, ...), allocated in the
    current transaction."""
    session = db.session
    table = NumberCounter.__table__
    dialect = session.get_bind().dialect.name
    session.execute(
        _insert(dialect)
        .values(organization_id=organization_id, series=series, year=year, value=0)
        .on_conflict_do_nothing(index_elements=["organization_id", "series", "year"])
    )
    return session.execute(
        sa.update(table)
        .where(table.c.organization_id == organization_id, table.c.series == series, table.c.year == year)
        .values(value=table.c.value + 1)
        .returning(table.c.value)
    ).scalar_one()


def format_number(series: str, year: int, value: int, width: int = 4) -> str:
    return f"{series}/{year}/{value:0{width}d}"

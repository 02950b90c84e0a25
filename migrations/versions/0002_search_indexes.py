"""Search indexes, per engine

FAB's list filters on text columns are "starts with" (`sw`) and "contains" (`ct`). OpsHub emits
"starts with" in a form each engine can answer from an index (app/core/filters.py
`IndexedStartsWith`): on PostgreSQL `lower(col) LIKE 'abc%'` over a `text_pattern_ops` b-tree, on
SQLite `col LIKE 'abc%'` over a NOCASE index. "Contains" uses a pg_trgm GIN index on PostgreSQL
(SQLite scans). The expressions differ per engine, so these indexes live only here, not in the
models; autogenerate and tests/test_migrations.py leave names ending in `_search` alone.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEARCHED = [("client", "name"), ("contact", "last_name")]


def _statements(dialect: str) -> list[tuple[str, str]]:
    out = []
    for table, column in SEARCHED:
        prefix = f"ix_{table}_{column}_prefix_search"
        if dialect == "postgresql":
            out.append(
                (
                    prefix,
                    f"CREATE INDEX {prefix} ON {table} (organization_id, lower({column}) text_pattern_ops) "
                    "WHERE archived_at IS NULL",
                )
            )
            trgm = f"ix_{table}_{column}_trgm_search"
            out.append((trgm, f"CREATE INDEX {trgm} ON {table} USING gin ({column} gin_trgm_ops)"))
        elif dialect == "sqlite":
            out.append(
                (
                    prefix,
                    f"CREATE INDEX {prefix} ON {table} (organization_id, {column} COLLATE NOCASE) "
                    "WHERE archived_at IS NULL",
                )
            )
    return out


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for _name, sql in _statements(dialect):
        op.execute(sql)


def downgrade():
    for name, _sql in _statements(op.get_bind().dialect.name):
        op.execute(f"DROP INDEX IF EXISTS {name}")

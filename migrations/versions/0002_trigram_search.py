"""Trigram indexes for list search on PostgreSQL

FAB's "starts with" / "contains" filters are ILIKE; on PostgreSQL a pg_trgm GIN index answers
them without reading the table. SQLite has no equivalent (its lists are fine; its searches scan).
These indexes live only here, not in the models: tests/test_migrations.py ignores `*_trgm`.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TRIGRAM_INDEXES = {
    "ix_client_name_trgm": ("client", "name"),
    "ix_contact_last_name_trgm": ("contact", "last_name"),
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in TRIGRAM_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")

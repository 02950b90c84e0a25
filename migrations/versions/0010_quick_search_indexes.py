"""Trigram indexes for the lists' search box (PostgreSQL; `Columns.quick` of each resource).

The search box is "contains" (`col ILIKE '%term%'`) over a resource's quick-search columns;
pg_trgm GIN indexes answer it (OR-ed columns combine as a BitmapOr), so a search stays fast at a
million rows. SQLite has no such index: its lists walk their order index and stop at a page of
matches. client.name and contact.last_name have theirs from 0002. Like 0002, these are per engine
and named `*_search`, which autogenerate and the models-vs-migrations test leave alone.

Revision ID: 0010
Revises: 0006
"""

from alembic import op

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None

SEARCHED = [
    ("client", "email"),
    ("client", "tags"),
    ("contact", "first_name"),
    ("contact", "email"),
    ("lead", "name"),
    ("lead", "company"),
    ("lead", "email"),
    ("deal", "title"),
    ("task", "title"),
    ("project", "name"),
    ("instance", "name"),
    ("instance", "url"),
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in SEARCHED:
        op.execute(f"CREATE INDEX ix_{table}_{column}_trgm_search ON {table} USING gin ({column} gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in SEARCHED:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_trgm_search")

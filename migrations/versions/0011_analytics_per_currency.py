"""The deal analytics group by currency (amounts of different currencies are never added): their
covering indexes include the currency, so the GROUP BYs still read only the index.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

WHERE = sa.text("archived_at IS NULL")
INDEXES = {
    "ix_deal_active_status_amount": (
        ["organization_id", "status", "amount", "owner_id", "created_at"],
        ["organization_id", "status", "currency", "amount", "owner_id", "created_at"],
    ),
    "ix_deal_active_funnel": (
        ["organization_id", "stage", "furthest_stage", "amount", "owner_id", "created_at"],
        ["organization_id", "stage", "furthest_stage", "currency", "amount", "owner_id", "created_at"],
    ),
}


def _recreate(which: int) -> None:
    with op.batch_alter_table("deal", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns[which], unique=False, sqlite_where=WHERE, postgresql_where=WHERE)


def upgrade():
    _recreate(1)


def downgrade():
    _recreate(0)

"""API tokens (app/core/tokens.py): personal tokens, stored hashed, one organization each; the
transaction row names the token a write was made with (id, and its name as it was).

Revision ID: 0050
Revises: 0030
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0050'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('read_only', sa.Boolean(), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('hint', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_addr', sa.String(length=45), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_api_token_organization_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['ab_user.id'], name=op.f('fk_api_token_revoked_by_id_ab_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], name=op.f('fk_api_token_user_id_ab_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_api_token_user_id_created_at', ['user_id', 'created_at'], unique=False)

    with op.batch_alter_table('transaction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('token_name', sa.String(length=100), nullable=True))



def downgrade():
    with op.batch_alter_table('transaction', schema=None) as batch_op:
        batch_op.drop_column('token_name')
        batch_op.drop_column('token_id')

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index('ix_api_token_user_id_created_at')
        batch_op.drop_index(batch_op.f('ix_api_token_organization_id'))

    op.drop_table('api_token')

"""signed-in sessions kept on the server

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

Signing out ends the session on the server: a copy of the cookie taken before sign-out no longer
signs anyone in, on any worker.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signed_in_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_signed_in_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signed_in_sessions')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_signed_in_sessions_key_hash'))
    )
    with op.batch_alter_table('signed_in_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signed_in_sessions_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('signed_in_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signed_in_sessions_user_id'))
    op.drop_table('signed_in_sessions')

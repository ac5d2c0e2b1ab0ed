"""data version for public page caching

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27

Public pages cached for anonymous visitors are rebuilt when the newest change to the data they
show moves on (portal/web/pagecache.py): regions get an updated_at, and registrations' is indexed
so that its maximum is read from the index.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE regions SET updated_at = CURRENT_TIMESTAMP")
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=sa.DateTime(timezone=True), nullable=False)

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registrations_updated_at'), ['updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registrations_updated_at'))

    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_column('updated_at')

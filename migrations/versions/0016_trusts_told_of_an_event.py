"""when the trusts that may book were told of an event by e-mail

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01

A coordinator may tell the trusts that can book an event, by e-mail, when it is published; they
are told once per event, so the time is kept on the event.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN: no table rebuild on SQLite.
    op.add_column('network_events', sa.Column('trusts_told_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('network_events', schema=None) as batch_op:
        batch_op.drop_column('trusts_told_at')

"""each attendee's own calendar entry: a UID and the next SEQUENCE

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

Invitations and cancellations sent to an attendee now carry the attendee's own UID and a
SEQUENCE that rises with every message about the event (RFC 5546), rather than the feeds' UID
and the event's SEQUENCE. Existing bookings keep the UID their invitations already carried (the
event's) and go on from the event's SEQUENCE plus one, so that the next message they receive
is newer than every one before it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no table rebuild on SQLite), with defaults that the backfill replaces.
    op.add_column('registrations', sa.Column('calendar_uid', sa.String(length=80), nullable=False, server_default=''))
    op.add_column('registrations', sa.Column('calendar_sequence', sa.Integer(), nullable=False, server_default='0'))
    op.execute(
        "UPDATE registrations SET "
        "calendar_uid = (SELECT uid FROM network_events WHERE network_events.id = registrations.event_id), "
        "calendar_sequence = (SELECT sequence + 1 FROM network_events WHERE network_events.id = registrations.event_id)"
    )


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('calendar_sequence')
        batch_op.drop_column('calendar_uid')

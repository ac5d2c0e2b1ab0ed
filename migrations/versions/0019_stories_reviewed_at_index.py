"""An index on when stories were reviewed

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02

The review queue shows the ten stories reviewed most recently in the coordinator's region. Read
backwards through this index it stops after a few dozen stories; without it every reviewed story
was sorted on each visit to the queue.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_stories_reviewed_at_id", "stories", ["reviewed_at", "id"])


def downgrade():
    op.drop_index("ix_stories_reviewed_at_id", table_name="stories")

"""A trust's places at an event raised by its coordinator; an event's focus characteristics; the
characteristics a story improved

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01

- `event_trust_allowances`: a coordinator may let one trust confirm more people at an event than
  the event's places per trust (from the waiting list, on the day's attendee page).
- `event_focus_characteristics`: the toolkit characteristics a network event focuses on, chosen
  from the priorities of the region's shared self-assessment rounds.
- `story_characteristics`: the characteristics a story says it improved.

The last two name a characteristic by pathway and code, as actions do, so that they hold across
versions of the framework.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event_focus_characteristics",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column(
            "pathway",
            sa.Enum(
                "first-pregnancy",
                "vbac",
                "elective-cs",
                "organisational",
                "top-ten",
                name="event_focus_pathway",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("characteristic_code", sa.String(length=20), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "pathway IN ('first-pregnancy', 'vbac', 'elective-cs', 'organisational', 'top-ten')",
            name=op.f("ck_event_focus_characteristics_pathway_known"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["network_events.id"],
            name=op.f("fk_event_focus_characteristics_event_id_network_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "event_id",
            "pathway",
            "characteristic_code",
            name=op.f("pk_event_focus_characteristics"),
        ),
    )
    op.create_table(
        "event_trust_allowances",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("places >= 1", name=op.f("ck_event_trust_allowances_places_positive")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["network_events.id"],
            name=op.f("fk_event_trust_allowances_event_id_network_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["raised_by_id"],
            ["users.id"],
            name=op.f("fk_event_trust_allowances_raised_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["trust_id"], ["trusts.id"], name=op.f("fk_event_trust_allowances_trust_id_trusts")
        ),
        sa.PrimaryKeyConstraint("event_id", "trust_id", name=op.f("pk_event_trust_allowances")),
    )
    op.create_table(
        "story_characteristics",
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column(
            "pathway",
            sa.Enum(
                "first-pregnancy",
                "vbac",
                "elective-cs",
                "organisational",
                "top-ten",
                name="story_characteristic_pathway",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("characteristic_code", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "pathway IN ('first-pregnancy', 'vbac', 'elective-cs', 'organisational', 'top-ten')",
            name=op.f("ck_story_characteristics_pathway_known"),
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_story_characteristics_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "story_id", "pathway", "characteristic_code", name=op.f("pk_story_characteristics")
        ),
    )


def downgrade():
    op.drop_table("story_characteristics")
    op.drop_table("event_trust_allowances")
    op.drop_table("event_focus_characteristics")

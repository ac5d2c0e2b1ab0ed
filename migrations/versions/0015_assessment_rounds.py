"""Self-assessment rounds: a trust's rounds against a toolkit version, their answers, actions

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01

Each round is made against the version current when it started (so its wording never changes),
with the day the team met, who took part (roles, never names) and the pathways chosen; an answer
per characteristic of those pathways (current and aspired positions, a note of evidence, whether
it is a priority); and the trust's actions, named by pathway and characteristic code so that they
carry over to rounds against later versions. `shared_at` is for sharing a round with the region's
coordinator, which no page offers yet.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assessment_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("participants", sa.String(length=200), nullable=False),
        sa.Column("pathways", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "length(participants) > 0", name=op.f("ck_assessment_rounds_participants_given")
        ),
        sa.CheckConstraint(
            "length(pathways) > 0", name=op.f("ck_assessment_rounds_pathways_given")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_assessment_rounds_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["trust_id"], ["trusts.id"], name=op.f("fk_assessment_rounds_trust_id_trusts")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["toolkit_versions.id"],
            name=op.f("fk_assessment_rounds_version_id_toolkit_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_rounds")),
    )
    with op.batch_alter_table("assessment_rounds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_rounds_trust_id"), ["trust_id"], unique=False
        )

    op.create_table(
        "assessment_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trust_id", sa.Integer(), nullable=False),
        sa.Column(
            "pathway",
            sa.Enum(
                "first-pregnancy",
                "vbac",
                "elective-cs",
                "organisational",
                "top-ten",
                name="assessment_action_pathway",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("characteristic_code", sa.String(length=20), nullable=False),
        sa.Column("what", sa.String(length=500), nullable=False),
        sa.Column(
            "owner_role",
            sa.Enum(
                "obstetrician",
                "midwife",
                "consultant-midwife",
                "anaesthetist",
                "neonatologist",
                "service-user",
                "manager",
                "other",
                name="assessment_owner_role",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "not-started",
                "in-progress",
                "done",
                "dropped",
                name="assessment_action_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_in_round_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "owner_role IN ('obstetrician', 'midwife', 'consultant-midwife', 'anaesthetist', 'neonatologist', 'service-user', 'manager', 'other')",
            name=op.f("ck_assessment_actions_owner_role_known"),
        ),
        sa.CheckConstraint(
            "pathway IN ('first-pregnancy', 'vbac', 'elective-cs', 'organisational', 'top-ten')",
            name=op.f("ck_assessment_actions_pathway_known"),
        ),
        sa.CheckConstraint(
            "status IN ('not-started', 'in-progress', 'done', 'dropped')",
            name=op.f("ck_assessment_actions_status_known"),
        ),
        sa.CheckConstraint(
            "length(trim(what)) > 0 AND length(what) <= 500",
            name=op.f("ck_assessment_actions_what_given"),
        ),
        sa.ForeignKeyConstraint(
            ["created_in_round_id"],
            ["assessment_rounds.id"],
            name=op.f("fk_assessment_actions_created_in_round_id_assessment_rounds"),
        ),
        sa.ForeignKeyConstraint(
            ["trust_id"], ["trusts.id"], name=op.f("fk_assessment_actions_trust_id_trusts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_actions")),
    )
    with op.batch_alter_table("assessment_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_actions_trust_id"), ["trust_id"], unique=False
        )

    op.create_table(
        "assessment_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("characteristic_id", sa.Integer(), nullable=False),
        sa.Column("current_position", sa.Integer(), nullable=True),
        sa.Column("aspired_position", sa.Integer(), nullable=True),
        sa.Column("evidence", sa.String(length=1000), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "aspired_position IS NULL OR aspired_position >= 1",
            name=op.f("ck_assessment_answers_aspired_positive"),
        ),
        sa.CheckConstraint(
            "current_position IS NULL OR current_position >= 1",
            name=op.f("ck_assessment_answers_current_positive"),
        ),
        sa.CheckConstraint(
            "length(evidence) <= 1000", name=op.f("ck_assessment_answers_evidence_length")
        ),
        sa.ForeignKeyConstraint(
            ["characteristic_id"],
            ["toolkit_characteristics.id"],
            name=op.f("fk_assessment_answers_characteristic_id_toolkit_characteristics"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["assessment_rounds.id"],
            name=op.f("fk_assessment_answers_round_id_assessment_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_answers")),
        sa.UniqueConstraint("round_id", "characteristic_id", name="uq_assessment_answers_once"),
    )
    with op.batch_alter_table("assessment_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_answers_round_id"), ["round_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("assessment_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_answers_round_id"))

    op.drop_table("assessment_answers")
    with op.batch_alter_table("assessment_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_actions_trust_id"))

    op.drop_table("assessment_actions")
    with op.batch_alter_table("assessment_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_rounds_trust_id"))

    op.drop_table("assessment_rounds")

"""monthly counts, changes, targets, publishing and a story's chart

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Each trust's monthly counts of deliveries, caesarean sections (elective and emergency), normal
births, women with a previous caesarean and their vaginal births: counts only, never a row per
woman. The months from which a trust expects its process to differ (its charts' limits start
afresh there), the rate it aims for on each measure, and whether it shows its charts publicly
(with when its figures last changed, for public pages kept by the page cache). A story may show
the chart of one of its trust's measures.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('measure_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_measure_changes_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_changes')),
    sa.UniqueConstraint('trust_id', 'month', name='uq_measure_changes_month')
    )
    with op.batch_alter_table('measure_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_changes_trust_id'), ['trust_id'], unique=False)

    op.create_table('measure_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_measure_settings_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_settings')),
    sa.UniqueConstraint('trust_id', name=op.f('uq_measure_settings_trust_id'))
    )
    with op.batch_alter_table('measure_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_settings_updated_at'), ['updated_at'], unique=False)

    op.create_table('measure_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.Enum('total-cs', 'elective-cs', 'emergency-cs', 'normal-birth', 'vbac', name='measure_target_measure', native_enum=False, length=20), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('target >= 0 AND target <= 100', name=op.f('ck_measure_targets_target_is_a_percentage')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_measure_targets_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_targets')),
    sa.UniqueConstraint('trust_id', 'measure', name='uq_measure_targets_measure')
    )
    with op.batch_alter_table('measure_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_targets_trust_id'), ['trust_id'], unique=False)

    op.create_table('monthly_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('deliveries', sa.Integer(), nullable=False),
    sa.Column('caesareans_elective', sa.Integer(), nullable=False),
    sa.Column('caesareans_emergency', sa.Integer(), nullable=False),
    sa.Column('normal_births', sa.Integer(), nullable=False),
    sa.Column('previous_caesarean', sa.Integer(), nullable=False),
    sa.Column('vbac', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('caesareans_elective + caesareans_emergency + normal_births <= deliveries', name=op.f('ck_monthly_counts_births_within_deliveries')),
    sa.CheckConstraint('deliveries >= 0 AND caesareans_elective >= 0 AND caesareans_emergency >= 0 AND normal_births >= 0 AND previous_caesarean >= 0 AND vbac >= 0', name=op.f('ck_monthly_counts_counts_not_negative')),
    sa.CheckConstraint('previous_caesarean <= deliveries', name=op.f('ck_monthly_counts_previous_cs_within_deliveries')),
    sa.CheckConstraint('vbac <= deliveries - caesareans_elective - caesareans_emergency', name=op.f('ck_monthly_counts_vbac_within_vaginal_births')),
    sa.CheckConstraint('vbac <= previous_caesarean', name=op.f('ck_monthly_counts_vbac_within_previous_cs')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_monthly_counts_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monthly_counts')),
    sa.UniqueConstraint('trust_id', 'month', name='uq_monthly_counts_month')
    )
    with op.batch_alter_table('monthly_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monthly_counts_trust_id'), ['trust_id'], unique=False)

    # A plain ADD COLUMN, not a batch rebuild: on SQLite rebuilding `stories` would drop the
    # triggers that keep its full-text index (0007) up to date.
    op.add_column('stories', sa.Column('chart_measure', sa.Enum('total-cs', 'elective-cs', 'emergency-cs', 'normal-birth', 'vbac', name='story_chart_measure', native_enum=False, length=20), nullable=True))


def downgrade():
    op.drop_column('stories', 'chart_measure')  # SQLite 3.35+ drops a column in place

    with op.batch_alter_table('monthly_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monthly_counts_trust_id'))

    op.drop_table('monthly_counts')
    with op.batch_alter_table('measure_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_targets_trust_id'))

    op.drop_table('measure_targets')
    with op.batch_alter_table('measure_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_settings_updated_at'))

    op.drop_table('measure_settings')
    with op.batch_alter_table('measure_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_changes_trust_id'))

    op.drop_table('measure_changes')

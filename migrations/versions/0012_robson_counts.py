"""Robson group counts for each trust's month

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

For each trust and month, the women in each Robson group (1 to 10, groups 2 and 4 whole or split
into a and b) and the caesareans among them, with the number of women a file of births held who
could not be placed in a group. Counts only, never a row per woman.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('robson_months',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('unclassified', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('unclassified >= 0', name=op.f('ck_robson_months_unclassified_not_negative')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_robson_months_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_robson_months')),
    sa.UniqueConstraint('trust_id', 'month', name='uq_robson_months_month')
    )
    with op.batch_alter_table('robson_months', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_robson_months_trust_id'), ['trust_id'], unique=False)

    op.create_table('robson_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('robson_month_id', sa.Integer(), nullable=False),
    sa.Column('group', sa.String(length=3), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('women', sa.Integer(), nullable=False),
    sa.Column('caesareans', sa.Integer(), nullable=False),
    sa.CheckConstraint('"group" IN (\'1\', \'2\', \'2a\', \'2b\', \'3\', \'4\', \'4a\', \'4b\', \'5\', \'6\', \'7\', \'8\', \'9\', \'10\')', name=op.f('ck_robson_counts_robson_group_known')),
    sa.CheckConstraint('caesareans <= women', name=op.f('ck_robson_counts_caesareans_within_women')),
    sa.CheckConstraint('women >= 0 AND caesareans >= 0', name=op.f('ck_robson_counts_robson_counts_not_negative')),
    sa.ForeignKeyConstraint(['robson_month_id'], ['robson_months.id'], name=op.f('fk_robson_counts_robson_month_id_robson_months'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_robson_counts')),
    sa.UniqueConstraint('robson_month_id', 'group', name='uq_robson_counts_group')
    )
    with op.batch_alter_table('robson_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_robson_counts_robson_month_id'), ['robson_month_id'], unique=False)



def downgrade():
    with op.batch_alter_table('robson_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_robson_counts_robson_month_id'))

    op.drop_table('robson_counts')
    with op.batch_alter_table('robson_months', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_robson_months_trust_id'))

    op.drop_table('robson_months')

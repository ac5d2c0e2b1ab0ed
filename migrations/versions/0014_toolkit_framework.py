"""The toolkit framework: versions, their characteristics and spectrum positions

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01

The "Pathways to success" framework as data the programme team loads: each version (numbered
1, 2, 3 … in the order loaded, with who loaded it, from which file, and a fingerprint of its
content), its characteristics by pathway, and each characteristic's ordered spectrum of
positions. Versions are never changed once loaded: a new file makes a new version.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('toolkit_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('loaded_by_id', sa.Integer(), nullable=True),
    sa.Column('source_filename', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.CheckConstraint('length(fingerprint) = 64', name=op.f('ck_toolkit_versions_fingerprint_sha256')),
    sa.CheckConstraint('length(trim(source_filename)) > 0', name=op.f('ck_toolkit_versions_source_named')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_toolkit_versions_number_positive')),
    sa.ForeignKeyConstraint(['loaded_by_id'], ['users.id'], name=op.f('fk_toolkit_versions_loaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_toolkit_versions')),
    sa.UniqueConstraint('number', name='uq_toolkit_versions_number')
    )
    op.create_table('toolkit_characteristics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('pathway', sa.Enum('first-pregnancy', 'vbac', 'elective-cs', 'organisational', 'top-ten', name='toolkit_pathway', native_enum=False, length=20), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('wording', sa.String(length=500), nullable=False),
    sa.Column('place', sa.Integer(), nullable=False),
    sa.CheckConstraint("pathway IN ('first-pregnancy', 'vbac', 'elective-cs', 'organisational', 'top-ten')", name=op.f('ck_toolkit_characteristics_pathway_known')),
    sa.CheckConstraint('length(trim(code)) > 0 AND length(trim(wording)) > 0', name=op.f('ck_toolkit_characteristics_texts_given')),
    sa.CheckConstraint('place >= 1', name=op.f('ck_toolkit_characteristics_place_positive')),
    sa.ForeignKeyConstraint(['version_id'], ['toolkit_versions.id'], name=op.f('fk_toolkit_characteristics_version_id_toolkit_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_toolkit_characteristics')),
    sa.UniqueConstraint('version_id', 'pathway', 'code', name='uq_toolkit_characteristics_code'),
    sa.UniqueConstraint('version_id', 'pathway', 'place', name='uq_toolkit_characteristics_place')
    )
    with op.batch_alter_table('toolkit_characteristics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_toolkit_characteristics_version_id'), ['version_id'], unique=False)

    op.create_table('toolkit_positions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('characteristic_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=False),
    sa.CheckConstraint('length(trim(label)) > 0 AND length(trim(description)) > 0', name=op.f('ck_toolkit_positions_texts_given')),
    sa.CheckConstraint('position >= 1', name=op.f('ck_toolkit_positions_position_positive')),
    sa.ForeignKeyConstraint(['characteristic_id'], ['toolkit_characteristics.id'], name=op.f('fk_toolkit_positions_characteristic_id_toolkit_characteristics')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_toolkit_positions')),
    sa.UniqueConstraint('characteristic_id', 'position', name='uq_toolkit_positions_position')
    )
    with op.batch_alter_table('toolkit_positions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_toolkit_positions_characteristic_id'), ['characteristic_id'], unique=False)



def downgrade():
    with op.batch_alter_table('toolkit_positions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_toolkit_positions_characteristic_id'))

    op.drop_table('toolkit_positions')
    with op.batch_alter_table('toolkit_characteristics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_toolkit_characteristics_version_id'))

    op.drop_table('toolkit_characteristics')
    op.drop_table('toolkit_versions')

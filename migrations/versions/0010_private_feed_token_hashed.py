"""private calendar feed token stored as a hash

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

The private feed's secret was kept in plain text (users.feed_token). Only its SHA-256 is kept
now, as for invitation and password-reset tokens: each existing token is replaced by its hash,
so the addresses people already subscribed to keep working, then the plain column goes.
When each address was made (new: feed_created_at) is taken from the audit log where it says.

Downgrading cannot turn the hashes back into tokens: every private feed address stops working
and people make new ones on their account page.
"""
import hashlib

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BATCH = 500

users = sa.table(
    'users',
    sa.column('id', sa.Integer()),
    sa.column('feed_token', sa.String(length=64)),
    sa.column('feed_token_hash', sa.String(length=64)),
    sa.column('feed_created_at', sa.DateTime(timezone=True)),
)
audit_entries = sa.table(
    'audit_entries',
    sa.column('at', sa.DateTime(timezone=True)),
    sa.column('action', sa.String(length=60)),
    sa.column('object_type', sa.String(length=40)),
    sa.column('object_id', sa.String(length=64)),
)


def feed_token_hash(token):
    """The same hash the portal computes for a feed address (portal/feeds/service.py)."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_plain_feed_tokens(connection):
    """Fill feed_token_hash from feed_token, a batch of rows at a time (by id)."""
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(users.c.id, users.c.feed_token)
            .where(users.c.feed_token.is_not(None), users.c.id > last_id)
            .order_by(users.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            users.update()
            .where(users.c.id == sa.bindparam('user_id'))
            .values(feed_token_hash=sa.bindparam('token_hash')),
            [{'user_id': id_, 'token_hash': feed_token_hash(token)} for id_, token in rows],
        )
        last_id = rows[-1][0]


def date_feeds_from_the_audit_log(connection):
    """When each current address was made: its latest creation or reset in the audit log."""
    made = (
        sa.select(sa.func.max(audit_entries.c.at))
        .where(
            audit_entries.c.object_type == 'user',
            audit_entries.c.object_id == sa.cast(users.c.id, sa.String(64)),
            audit_entries.c.action.in_(['user.feed_created', 'user.feed_reset']),
        )
        .scalar_subquery()
    )
    connection.execute(
        users.update().where(users.c.feed_token_hash.is_not(None)).values(feed_created_at=made)
    )


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('feed_created_at', sa.DateTime(timezone=True), nullable=True))

    connection = op.get_bind()
    hash_plain_feed_tokens(connection)
    date_feeds_from_the_audit_log(connection)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_feed_token'), type_='unique')
        batch_op.drop_column('feed_token')
        batch_op.create_unique_constraint(batch_op.f('uq_users_feed_token_hash'), ['feed_token_hash'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_feed_token_hash'), type_='unique')
        batch_op.drop_column('feed_created_at')
        batch_op.drop_column('feed_token_hash')
        batch_op.add_column(sa.Column('feed_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_feed_token'), ['feed_token'])

"""i18n: saved language and zone of users and orders, zones of events and cohorts

Revision ID: b7e2c41d9a16
Revises: f04a246698cb
Create Date: 2026-11-30 02:00:00

Existing events and cohorts were shown in UTC, so they keep UTC until an
organizer sets their real zone; existing orders get English emails.
"""
from alembic import op
import sqlalchemy as sa


revision = 'b7e2c41d9a16'
down_revision = 'f04a246698cb'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False))

    with op.batch_alter_table('training_cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False))

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), server_default='en', nullable=False))
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('timezone')
        batch_op.drop_column('locale')

    with op.batch_alter_table('training_cohorts', schema=None) as batch_op:
        batch_op.drop_column('timezone')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('timezone')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('timezone')
        batch_op.drop_column('locale')

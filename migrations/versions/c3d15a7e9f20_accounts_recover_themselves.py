"""accounts that recover themselves: email verification, session version, deletion

Revision ID: c3d15a7e9f20
Revises: b7e2c41d9a16
Create Date: 2026-11-30 02:45:00

Existing accounts count as verified (they signed up before verification
existed); every session version starts at 0.
"""
from alembic import op
import sqlalchemy as sa


revision = 'c3d15a7e9f20'
down_revision = 'b7e2c41d9a16'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE users SET email_verified_at = created_at")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('session_version')
        batch_op.drop_column('email_verified_at')

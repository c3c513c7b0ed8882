"""orders.promotion_past_limit: a promo code honoured past its limits

Revision ID: e5b1c9d3a7f2
Revises: 30498effdffa
Create Date: 2026-11-30 05:20:00

A late capture of an order whose code has since been used up is honoured (the
buyer paid the price shown) and flagged for staff (issue #13).
"""
import sqlalchemy as sa
from alembic import op

revision = 'e5b1c9d3a7f2'
down_revision = '30498effdffa'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'promotion_past_limit', sa.Boolean(), server_default='0', nullable=False
            )
        )
        batch_op.create_index(
            batch_op.f('ix_orders_promotion_past_limit'),
            ['promotion_past_limit'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_promotion_past_limit'))
        batch_op.drop_column('promotion_past_limit')

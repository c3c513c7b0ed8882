"""promotions.event_id: organizers' promo codes for their own events

Revision ID: a8c4e2f61b93
Revises: e5b1c9d3a7f2
Create Date: 2026-11-30 06:35:00

NULL keeps a promotion a shop one (carts, trainings); an event's promotion is
accepted only at that event's ticket checkout (issue #17, self-service).
"""
import sqlalchemy as sa
from alembic import op

revision = 'a8c4e2f61b93'
down_revision = 'e5b1c9d3a7f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_promotions_event_id'), ['event_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_promotions_event_id_events'), 'events', ['event_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_promotions_event_id_events'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_promotions_event_id'))
        batch_op.drop_column('event_id')

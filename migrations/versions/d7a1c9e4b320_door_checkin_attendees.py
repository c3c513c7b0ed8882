"""door: check-in at the door, attendee name cut-off

Tickets remember their first admission (time and gate); every admission,
online or uploaded by an offline gate, is a row of `checkin_scans`; events get
the cut-off until which buyers may correct attendee names.

Revision ID: d7a1c9e4b320
Revises: 76969a571398
Create Date: 2026-11-30 04:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7a1c9e4b320'
down_revision = '76969a571398'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checkin_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('gate', sa.String(length=64), nullable=False),
    sa.Column('scanned_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_checkin_scans_event_id_events')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_checkin_scans_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_checkin_scans_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_scans')),
    sa.UniqueConstraint('ticket_id', 'gate', 'scanned_at', name=op.f('uq_checkin_scans_ticket_id_gate_scanned_at'))
    )
    with op.batch_alter_table('checkin_scans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_scans_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkin_scans_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attendee_edit_until', sa.DateTime(), nullable=True))

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_in_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('checked_in_gate', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('checked_in_gate')
        batch_op.drop_column('checked_in_at')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('attendee_edit_until')

    with op.batch_alter_table('checkin_scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_scans_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_checkin_scans_event_id'))

    op.drop_table('checkin_scans')

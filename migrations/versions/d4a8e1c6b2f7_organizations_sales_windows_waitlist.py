"""organizations own events; ticket sales windows, hidden types; waiting lists

Revision ID: d4a8e1c6b2f7
Revises: c3f9a7d215e4
Create Date: 2026-11-30 04:50:00

Every user who organizes an event, or has the organizer role, gets an
organization named after them with themselves as owner, and their events move
into it.
"""
import sqlalchemy as sa
from alembic import op

revision = 'd4a8e1c6b2f7'
down_revision = 'c3f9a7d215e4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'organizations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    )
    op.create_table(
        'organization_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_organization_members_organization_id_organizations')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_organization_members_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_members')),
        sa.UniqueConstraint('organization_id', 'user_id', name=op.f('uq_organization_members_organization_id_user_id')),
    )
    with op.batch_alter_table('organization_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organization_members_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_organization_members_user_id'), ['user_id'], unique=False)
    op.create_table(
        'organization_invitations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('accepted_at', sa.DateTime(), nullable=True),
        sa.Column('accepted_by_id', sa.Integer(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_organization_invitations_accepted_by_id_users')),
        sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_organization_invitations_invited_by_id_users')),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_organization_invitations_organization_id_organizations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_invitations')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_organization_invitations_token_hash')),
    )
    with op.batch_alter_table('organization_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organization_invitations_organization_id'), ['organization_id'], unique=False)
    op.create_table(
        'waitlist_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_type_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('offered_at', sa.DateTime(), nullable=True),
        sa.Column('offer_expires_at', sa.DateTime(), nullable=True),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_waitlist_entries_order_id_orders')),
        sa.ForeignKeyConstraint(['ticket_type_id'], ['ticket_types.id'], name=op.f('fk_waitlist_entries_ticket_type_id_ticket_types')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_waitlist_entries_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_waitlist_entries_token_hash')),
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waitlist_entries_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_waitlist_entries_ticket_type_id'), ['ticket_type_id'], unique=False)

    with op.batch_alter_table('ticket_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sales_start_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sales_end_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('max_per_order', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hidden', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('unlock_code', sa.String(length=40), nullable=True))

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organization_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sales_paused', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(), nullable=True))

    _organizations_for_organizers()

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.alter_column('organization_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_events_organization_id'), ['organization_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_events_organization_id_organizations'), 'organizations', ['organization_id'], ['id'])


def _organizations_for_organizers():
    conn = op.get_bind()
    users = sa.table('users', sa.column('id'), sa.column('name'), sa.column('role'))
    events = sa.table('events', sa.column('id'), sa.column('organizer_id'), sa.column('organization_id'))
    orgs = sa.table('organizations', sa.column('id'), sa.column('name'), sa.column('created_at'))
    members = sa.table(
        'organization_members', sa.column('organization_id'), sa.column('user_id'),
        sa.column('role'), sa.column('created_at'),
    )
    organizer_ids = set(conn.execute(sa.select(events.c.organizer_id).distinct()).scalars())
    organizer_ids |= set(conn.execute(sa.select(users.c.id).where(users.c.role == 'organizer')).scalars())
    now = sa.func.current_timestamp()
    for user_id in sorted(organizer_ids):
        name = conn.execute(sa.select(users.c.name).where(users.c.id == user_id)).scalar() or f'Organizer {user_id}'
        org_id = conn.execute(
            orgs.insert().values(name=name[:200], created_at=now).returning(orgs.c.id)
        ).scalar_one()
        conn.execute(members.insert().values(organization_id=org_id, user_id=user_id, role='owner', created_at=now))
        conn.execute(events.update().where(events.c.organizer_id == user_id).values(organization_id=org_id))


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_events_organization_id_organizations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_events_organization_id'))
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('sales_paused')
        batch_op.drop_column('organization_id')
    with op.batch_alter_table('ticket_types', schema=None) as batch_op:
        batch_op.drop_column('unlock_code')
        batch_op.drop_column('hidden')
        batch_op.drop_column('max_per_order')
        batch_op.drop_column('sales_end_at')
        batch_op.drop_column('sales_start_at')
    op.drop_table('waitlist_entries')
    op.drop_table('organization_invitations')
    op.drop_table('organization_members')
    op.drop_table('organizations')

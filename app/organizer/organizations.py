"""Organizations and their members: creating one, the organizer's own one."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.organizer.models import Membership, Organization
from app.organizer.roles import Role


def create_organization(name: str, owner_id: int) -> Organization:
    organization = Organization(name=name.strip()[:200])
    db.session.add(organization)
    db.session.flush()
    db.session.add(
        Membership(organization_id=organization.id, user_id=owner_id, role=Role.OWNER)
    )
    db.session.flush()
    return organization


def home_organization(user) -> Organization:
    """The first organization the user owns, created (named after them) when
    they own none: where an event goes when no organization is named."""
    organization = db.session.scalar(
        select(Organization)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user.id, Membership.role == Role.OWNER)
        .order_by(Membership.id)
        .limit(1)
    )
    return organization or create_organization(user.name, user.id)

"""An organization's team: invitations by email with a role, accepting one,
removing a member. Only owners manage the team (`roles.MEMBERS`).

The invitation link carries a random token; only its hash is stored. Accepting
needs an account (signed in with any address: the link is the proof), and a
link works once, for a week.
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import hash_token
from app.admin import services as audit
from app.conditional import guarded_update
from app.db import utcnow
from app.extensions import db
from app.i18n.preferences import current_locale
from app.mail.services import queue_email
from app.organizer.models import Invitation, Membership, Organization
from app.organizer.roles import Role
from app.services_errors import Conflict, NotFound

INVITATION_DAYS = 7


def members(organization: Organization) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.organization_id == organization.id)
            .order_by(Membership.id)
        )
    )


def pending_invitations(organization: Organization) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.organization_id == organization.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.id)
        )
    )


def invite(
    organization: Organization, email: str, role: str, inviter
) -> tuple[Invitation, str]:
    """Book the invitation email; the token exists only in the link (and is
    returned to the caller, never stored)."""
    raw = secrets.token_urlsafe(32)
    invitation = Invitation(
        organization_id=organization.id,
        email=email.strip(),
        role=Role(role),
        token_hash=hash_token(raw),
        invited_by_id=inviter.id,
        expires_at=utcnow() + dt.timedelta(days=INVITATION_DAYS),
    )
    db.session.add(invitation)
    db.session.flush()
    base = current_app.config["PUBLIC_BASE_URL"]
    queue_email(
        f"invitation-{invitation.id}",
        invitation.email,
        "organization_invitation",
        {
            "organization_name": organization.name,
            "inviter_name": inviter.name,
            "role": str(invitation.role),
            "link": base + url_for("organizer_team.invitation", token=raw),
            "locale": current_locale(),
        },
    )
    audit.record(
        "organization.invite",
        f"Organization#{organization.id}",
        {"email": invitation.email, "role": invitation.role},
    )
    return invitation, raw


def _gone() -> NotFound:
    return NotFound(
        "INVITATION_NOT_FOUND",
        _("This invitation link is not valid any more. Ask for a new one."),
    )


def invitation_for(raw: str) -> Invitation:
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(raw or ""))
    )
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= utcnow()
    ):
        raise _gone()
    return invitation


def accept(raw: str, user) -> Membership:
    invitation = invitation_for(raw)
    existing = db.session.scalar(
        select(Membership).where(
            Membership.organization_id == invitation.organization_id,
            Membership.user_id == user.id,
        )
    )
    if existing is not None:
        raise Conflict(
            "ALREADY_MEMBER", _("You are already a member of this organization.")
        )
    # One use: the first acceptance wins.
    if not guarded_update(
        Invitation,
        invitation.id,
        Invitation.accepted_at.is_(None),
        accepted_at=utcnow(),
        accepted_by_id=user.id,
    ):
        raise _gone()
    membership = Membership(
        organization_id=invitation.organization_id,
        user_id=user.id,
        role=invitation.role,
    )
    db.session.add(membership)
    db.session.flush()
    audit.record(
        "organization.join",
        f"Organization#{invitation.organization_id}",
        {"user_id": user.id, "role": invitation.role, "invitation": invitation.id},
    )
    return membership


def remove_member(organization: Organization, membership_id: int, actor) -> None:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.organization_id != organization.id:
        raise NotFound("MEMBER_NOT_FOUND", _("No such member."))
    if membership.role == Role.OWNER:
        owners = [m for m in members(organization) if m.role == Role.OWNER]
        if len(owners) == 1:
            raise Conflict("LAST_OWNER", _("An organization keeps at least one owner."))
    db.session.delete(membership)
    db.session.flush()
    audit.record(
        "organization.remove_member",
        f"Organization#{organization.id}",
        {"user_id": membership.user_id, "role": membership.role},
    )

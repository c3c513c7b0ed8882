"""Organizations own events; users belong to them with a role (see roles.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import created_at, intpk
from app.extensions import db


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[created_at]

    members: Mapped[list[Membership]] = relationship(
        back_populates="organization", order_by="Membership.id"
    )


class Membership(db.Model):
    """A user's one role in one organization."""

    __tablename__ = "organization_members"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    id: Mapped[intpk]
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[created_at]

    organization: Mapped[Organization] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Invitation(db.Model):
    """An emailed invitation to join with a role; the link carries a token whose
    hash is stored, and accepting it needs an account (any email address)."""

    __tablename__ = "organization_invitations"

    id: Mapped[intpk]
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime]
    accepted_at: Mapped[dt.datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[dt.datetime | None]

    organization: Mapped[Organization] = relationship()

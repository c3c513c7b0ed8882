"""Users, their API tokens and merchant API keys (all secrets stored hashed)."""

from __future__ import annotations

import datetime as dt
import hashlib

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import created_at, intpk
from app.extensions import db

ROLES = ("customer", "organizer", "admin")


def hash_token(raw: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is enough to store them."""
    return hashlib.sha256(raw.encode()).hexdigest()


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(32), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="customer")
    # Saved display preferences; None means "follow the browser" (app.i18n).
    locale: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[created_at]
    # None until the owner opens the link sent to the address (they may buy
    # meanwhile, and are reminded).
    email_verified_at: Mapped[dt.datetime | None]
    # Set when the owner deleted the account: nobody can sign in to it again.
    deleted_at: Mapped[dt.datetime | None]
    # Set when an admin disabled the account: no sign-in, session or token
    # works until an admin enables it again.
    disabled_at: Mapped[dt.datetime | None]

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_organizer(self) -> bool:
        return self.role in ("organizer", "admin")

    @property
    def is_active(self) -> bool:
        """Flask-Login: a deleted or disabled account cannot sign in."""
        return self.deleted_at is None and self.disabled_at is None

    # The raw id of the browser session this object was loaded for (or has just
    # started); set by `app.accounts.sessions`, never stored on the user row.
    session_key = None  # str | None; a plain attribute, not a column

    def get_id(self) -> str:
        """The session cookie names the user *and* one `UserSession` row: when
        that row is deleted (logout, password change, disabling, "sign out
        everywhere") the cookie names nobody, even replayed."""
        return f"{self.id}.{self.session_key or ''}"


class UserSession(db.Model):
    """One signed-in browser. The cookie carries the raw key; only its hash is
    stored, so a copy of the table opens no session."""

    __tablename__ = "user_sessions"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[created_at]


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80), default="mobile")
    created_at: Mapped[created_at]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class MerchantKey(db.Model):
    """Server-to-server key for seed 002's PaymentService."""

    __tablename__ = "merchant_keys"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(80))
    key_prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The key is derived from the app's secret and this salt, so the shop can
    # sign webhooks with it without storing it (None: an older, random key).
    key_salt: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[created_at]
    revoked_at: Mapped[dt.datetime | None]

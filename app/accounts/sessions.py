"""Browser sessions kept on the server: one `UserSession` row per signed-in
browser, named by a random key inside the signed session cookie.

A signed cookie alone cannot be taken back: a copy saved before logout stays
valid. So the cookie only names a row, and ending a session deletes the row.
Logout deletes this browser's row; a password change or reset, an admin
disabling the account, deletion and "sign out everywhere" delete every row of
the account (`end_all`), and its API tokens are revoked with them
(`app.accounts.recovery.end_all_sessions`).
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app
from flask_login import login_user, logout_user
from sqlalchemy import delete, select

from app.accounts.models import User, UserSession, hash_token
from app.db import utcnow
from app.digits import ascii_int
from app.extensions import db


def _lifetime() -> dt.timedelta:
    return current_app.permanent_session_lifetime


def sign_in(user: User) -> None:
    """Start a new server-side session for this browser and log it in. Sessions
    of the account older than the session lifetime are pruned on the way."""
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id,
            UserSession.created_at < utcnow() - _lifetime(),
        )
    )
    raw = secrets.token_urlsafe(24)
    db.session.add(UserSession(user_id=user.id, key_hash=hash_token(raw)))
    db.session.flush()
    user.session_key = raw
    login_user(user)


def sign_out(user: User | None) -> None:
    """End this browser's session: its row first, then the cookie."""
    if user is not None and getattr(user, "session_key", None):
        db.session.execute(
            delete(UserSession).where(
                UserSession.user_id == user.id,
                UserSession.key_hash == hash_token(user.session_key),
            )
        )
    logout_user()


def end_all(user_id: int) -> None:
    """Every browser signed in to the account is signed out."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user_id))


def load(cookie_id: str) -> User | None:
    """The user a session cookie names, if its session row still exists and
    has not outlived the session lifetime (Flask-Login's `user_loader`)."""
    if not isinstance(cookie_id, str) or len(cookie_id) > 80:
        return None
    number, _dot, raw = cookie_id.partition(".")
    user_id = ascii_int(number, 12)
    if user_id is None or not raw:
        return None
    row = db.session.scalar(
        select(UserSession).where(
            UserSession.key_hash == hash_token(raw), UserSession.user_id == user_id
        )
    )
    if row is None or row.created_at < utcnow() - _lifetime():
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    user.session_key = raw
    return user

"""Accounts that recover themselves: password reset and email confirmation by
signed links, and ending every session of an account.

Links are signed with the app's secret (itsdangerous, one salt per purpose) and
expire. A reset link also carries a fingerprint of the password hash it was
issued against: once the password changes - by this link or any other way -
the fingerprint no longer matches, so every reset link works once. An email
link carries the address it confirms, so it stops working when the address
changes. Nothing about a link is stored.

Asking for a reset answers the same whether or not an account has the address,
so the form tells a stranger nothing about who shops here.

Sessions end by deleting the account's server-side session rows
(`app.accounts.sessions`) and revoking its API tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from werkzeug.security import generate_password_hash

from app.accounts import login_guard, sessions
from app.accounts.models import ApiToken, User
from app.db import utcnow
from app.extensions import db
from app.i18n.preferences import current_locale, current_timezone
from app.mail.services import queue_email
from app.services_errors import ServiceError

RESET_SALT = "password-reset-v1"
VERIFY_SALT = "email-verify-v1"
RESET_SECONDS = 60 * 60  # an hour to use a reset link
VERIFY_SECONDS = 7 * 24 * 60 * 60  # a week to confirm an address
MIN_PASSWORD, MAX_PASSWORD = 8, 200


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=salt)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def _find(email: str) -> User | None:
    if not isinstance(email, str) or not email.strip() or len(email) > 254:
        return None
    return db.session.scalar(
        select(User).where(
            func.lower(User.email) == email.strip().lower(),
            User.deleted_at.is_(None),
        )
    )


def _link(path: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}{path}"


def _mail(user: User, to: str, template: str, link: str) -> None:
    queue_email(
        f"{template}-{user.id}-{secrets.token_hex(8)}",
        to,
        template,
        {
            "name": user.name,
            "link": link,
            "locale": user.locale or current_locale(),
            "timezone": user.timezone or current_timezone(),
        },
    )


# --- password reset ----------------------------------------------------------


def request_password_reset(email: str) -> None:
    """Email a reset link if an account has this address; otherwise nothing.
    The caller answers the same either way."""
    user = _find(email)
    if user is None:
        return
    token = _serializer(RESET_SALT).dumps({"u": user.id, "p": _fingerprint(user)})
    _mail(user, user.email, "password_reset", _link(f"/password/reset/{token}"))


def _invalid_link() -> ServiceError:
    return ServiceError(
        "INVALID_TOKEN",
        _l("This link is invalid, expired or already used. Ask for a new one."),
        400,
    )


def user_for_reset(token: str) -> User:
    """The account a reset link is for, while the link is still usable."""
    if not isinstance(token, str) or not token or len(token) > 500:
        raise _invalid_link()
    try:
        data = _serializer(RESET_SALT).loads(token, max_age=RESET_SECONDS)
    except (SignatureExpired, BadSignature):
        raise _invalid_link() from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise _invalid_link()
    user = db.session.get(User, data["u"])
    if (
        user is None
        or user.deleted_at is not None
        or not hmac.compare_digest(str(data.get("p", "")), _fingerprint(user))
    ):
        raise _invalid_link()
    return user


def check_new_password(password: object) -> str:
    if not isinstance(password, str) or not (
        MIN_PASSWORD <= len(password) <= MAX_PASSWORD
    ):
        raise ServiceError(
            "VALIDATION_ERROR",
            _l("The new password needs 8 to 200 characters."),
            400,
            {"password": "length"},
        )
    return password


def set_password(user: User, password: str) -> None:
    """A new password ends every session and API token made with the old one."""
    user.password_hash = generate_password_hash(check_new_password(password))
    end_all_sessions(user)


def reset_password(token: str, password: str) -> User:
    """Use a reset link: the link, every older link, every session and token
    stop working. Opening the link proves the address, so it is confirmed."""
    user = user_for_reset(token)
    set_password(user, password)
    login_guard.forget(user.email)  # the owner proved the address: no wait
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    db.session.flush()
    return user


def end_all_sessions(user: User) -> None:
    """Sign the account out everywhere: every browser session (its row is
    deleted, so its cookie names nobody) and every API token."""
    sessions.end_all(user.id)
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    db.session.refresh(user)


# --- email confirmation --------------------------------------------------------


def send_verification(user: User, address: str | None = None) -> None:
    """Email a confirmation link for `address` (the account's own, or a new one
    the owner asked to switch to)."""
    address = address or user.email
    # "f": the address the account had when the link was made; once it changes,
    # older links (to confirm the old address, or another change) stop working.
    token = _serializer(VERIFY_SALT).dumps(
        {"u": user.id, "e": address, "f": user.email}
    )
    _mail(user, address, "verify_email", _link(f"/account/verify/{token}"))


def confirm_email(token: str) -> User:
    """Open a confirmation link: the address is confirmed, and becomes the
    account's address if it was a requested change."""
    if not isinstance(token, str) or not token or len(token) > 500:
        raise _invalid_link()
    try:
        data = _serializer(VERIFY_SALT).loads(token, max_age=VERIFY_SECONDS)
    except (SignatureExpired, BadSignature):
        raise _invalid_link() from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise _invalid_link()
    user = db.session.get(User, data["u"])
    address = data.get("e")
    if (
        user is None
        or user.deleted_at is not None
        or not isinstance(address, str)
        or str(data.get("f", "")).lower() != user.email.lower()
    ):
        raise _invalid_link()
    if address.lower() != user.email.lower():
        taken = db.session.scalar(
            select(User.id).where(
                func.lower(User.email) == address.lower(), User.id != user.id
            )
        )
        if taken:
            raise ServiceError(
                "EMAIL_TAKEN", _l("An account with this email already exists."), 409
            )
        user.email = address
    user.email_verified_at = utcnow()
    db.session.flush()
    return user

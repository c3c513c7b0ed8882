"""Accounts: registration, authentication and bearer tokens."""

from __future__ import annotations

import re
import secrets

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.models import ApiToken, User, hash_token
from app.accounts.recovery import end_all_sessions, send_verification
from app.db import utcnow
from app.extensions import db
from app.i18n.preferences import normalize_locale, valid_timezone
from app.services_errors import Conflict, ServiceError

PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{6,19}$")
# A hash to compare against when the email is unknown, so timing does not tell.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalise_email(raw: str) -> str:
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ServiceError(
            "VALIDATION_ERROR",
            _("Enter a valid email address."),
            400,
            {"email": str(exc)},
        ) from exc


def validate_phone(raw: str) -> str:
    phone = (raw or "").strip()
    if phone and not PHONE_RE.match(phone):
        raise ServiceError(
            "VALIDATION_ERROR",
            _("Enter a valid phone number (digits, optional leading +)."),
            400,
            {"phone": "invalid"},
        )
    return phone


def register_user(
    email: str, password: str, name: str, phone: str = "", role: str = "customer"
) -> User:
    errors: dict[str, str] = {}
    if not isinstance(password, str) or len(password) < 8:
        errors["password"] = "at least 8 characters"
    elif len(password) > 200:
        errors["password"] = "at most 200 characters"
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        errors["name"] = "required, at most 120 characters"
    if errors:
        raise ServiceError(
            "VALIDATION_ERROR", _("Please correct the form."), 400, errors
        )
    address = normalise_email(email)
    phone = validate_phone(phone)
    exists = db.session.scalar(select(User.id).where(func.lower(User.email) == address))
    if exists:
        raise Conflict(
            "EMAIL_TAKEN", _("An account with this email already exists."), 409
        )
    user = User(
        email=address,
        name=name.strip(),
        phone=phone,
        role=role,
        password_hash=generate_password_hash(password),
    )
    db.session.add(user)
    db.session.flush()
    send_verification(user)  # they may buy at once; pages remind them meanwhile
    return user


def authenticate(email: str, password: str) -> User | None:
    if not isinstance(email, str) or not isinstance(password, str):
        return None
    user = db.session.scalar(
        select(User).where(func.lower(User.email) == email.strip().lower())
    )
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    return user


def issue_token(user: User, name: str = "mobile") -> str:
    """Create a bearer token; only its hash is stored, the raw value is shown once."""
    raw = "sft_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(raw), name=name))
    db.session.flush()
    return raw


def user_for_token(raw: str) -> User | None:
    if not raw or len(raw) > 200:
        return None
    token = db.session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_token(raw), ApiToken.revoked_at.is_(None))
        .options(joinedload(ApiToken.user))  # the user comes in the same query
    )
    if token is None or not token.user.is_active:
        return None
    return token.user


def revoke_token(user: User, token_id: int) -> bool:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at:
        return False
    token.revoked_at = utcnow()
    return True


def set_preferences(user: User, locale: str | None, timezone: str | None) -> None:
    """Save (or, when empty, forget) the user's language and time zone.

    Values outside the supported languages or the zone database are refused, so
    the selectors never meet anything they cannot use.
    """

    chosen_locale = normalize_locale(locale) if locale else None
    chosen_zone = valid_timezone(timezone) if timezone else None
    if (locale and chosen_locale is None) or (timezone and chosen_zone is None):
        raise ServiceError("VALIDATION_ERROR", _("Unknown language or time zone."), 400)
    user.locale = chosen_locale
    user.timezone = chosen_zone
    db.session.flush()


def set_disabled(user: User, disabled: bool) -> bool:
    """An admin disables (or enables again) an account. Disabling ends every
    session and API token at once; False when nothing changed."""
    if disabled == (user.disabled_at is not None):
        return False
    user.disabled_at = utcnow() if disabled else None
    if disabled:
        end_all_sessions(user)
    db.session.flush()
    return True

"""Password guessing, limited per account as well as per address.

Flask-Limiter counts attempts per IP; a guesser with many addresses is not
slowed by that. So each account also counts wrong passwords in Redis (a key per
account, expiring `LOGIN_LOCK_SECONDS` after the first miss). Past
`LOGIN_FAILURES_PER_ACCOUNT` misses, sign-ins to that account are refused with
429 and the time to wait - without the password even being checked.

A stranger must not be able to lock the owner out with it. A browser (or API
client keeping cookies) that has signed in to the account before carries a
signed "known device" cookie naming the account; such a browser is neither
counted nor refused. Only new browsers wait, and a password reset by email
clears the count. Redis being down opens the limit rather than the lock: the
per-IP limit still holds (docs/decisions.md, issue #13).
"""

from __future__ import annotations

import hashlib
import logging
import math

import redis
from flask import Response, current_app, request
from flask_babel import ngettext
from itsdangerous import BadSignature, URLSafeSerializer

from app.services_errors import ServiceError

log = logging.getLogger(__name__)

DEVICE_COOKIE = "known_device"
DEVICE_SALT = "known-device-v1"
DEVICE_MAX_ACCOUNTS = 8
DEVICE_SECONDS = 400 * 24 * 60 * 60  # browsers cap cookies at 400 days


class TooManyAttempts(ServiceError):
    status = 429

    def __init__(self, wait_seconds: int):
        minutes = max(1, math.ceil(wait_seconds / 60))
        super().__init__(
            "TOO_MANY_ATTEMPTS",
            ngettext(
                "Too many wrong passwords for this account. Try again in "
                "%(num)d minute, or reset your password.",
                "Too many wrong passwords for this account. Try again in "
                "%(num)d minutes, or reset your password.",
                minutes,
            ),
            429,
            {"retryAfter": wait_seconds},
        )
        self.retry_after = wait_seconds


def _account(email: object) -> str:
    text = email.strip().lower() if isinstance(email, str) else ""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _key(email: object) -> str:
    return f"login-failures:{_account(email)}"


def _redis() -> redis.Redis:
    return current_app.extensions["redis"]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=DEVICE_SALT)


def _known_accounts() -> list[str]:
    raw = request.cookies.get(DEVICE_COOKIE, "")
    if not raw or len(raw) > 2000:
        return []
    try:
        value = _serializer().loads(raw)
    except BadSignature:
        return []
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def known_device(email: object) -> bool:
    """This browser has signed in to the account before."""
    return _account(email) in _known_accounts()


def check(email: object) -> None:
    """Refuse a sign-in to a locked account from a browser it does not know."""
    if known_device(email):
        return
    try:
        failures = int(_redis().get(_key(email)) or 0)
        if failures < current_app.config["LOGIN_FAILURES_PER_ACCOUNT"]:
            return
        wait = _redis().ttl(_key(email))
    except redis.RedisError:
        log.warning("login guard: Redis unavailable, per-account limit skipped")
        return
    raise TooManyAttempts(wait if wait and wait > 0 else 1)


def failed(email: object) -> None:
    """Count a wrong password (not from a browser the account knows)."""
    if known_device(email):
        return
    try:
        count = _redis().incr(_key(email))
        if count == 1:
            _redis().expire(_key(email), current_app.config["LOGIN_LOCK_SECONDS"])
    except redis.RedisError:
        log.warning("login guard: Redis unavailable, wrong password not counted")


def forget(email: object) -> None:
    """The owner proved themselves another way (a reset link): start afresh."""
    try:
        _redis().delete(_key(email))
    except redis.RedisError:
        log.warning("login guard: Redis unavailable, count not cleared")


def remember_device(response: Response, email: object) -> Response:
    """After a successful sign-in: this browser is one the account knows."""
    accounts = [a for a in _known_accounts() if a != _account(email)]
    accounts = [_account(email), *accounts][:DEVICE_MAX_ACCOUNTS]
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer().dumps(accounts),
        max_age=DEVICE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response

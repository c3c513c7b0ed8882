"""Who sees which language and which time zone.

Language: `?lang=` (this request, and remembered in the `lang` cookie), then the
user's saved choice, then the `lang` cookie, then `Accept-Language`, then English.
Zone for deadlines and order times: the user's saved zone, then the browser's
(the `tz` cookie that static/js/tz.js writes), then the shop's `DEFAULT_TIMEZONE`.
An event's or a cohort's own dates are shown in its own zone, not the viewer's.

Cookie and header values are untrusted: anything that is not a supported
language or a real IANA zone name is ignored, never an error.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager

from babel.core import get_global
from flask import current_app, g, has_request_context, request
from flask_babel import force_locale, get_locale
from flask_login import current_user

from app.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES

LOCALE_COOKIE = "lang"
TIMEZONE_COOKIE = "tz"
COOKIE_MAX_AGE = 365 * 24 * 3600

_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$")
_NOT_ZONES = frozenset({"localtime", "Factory"})

# Where a payment is made, by currency: a konbini slip is paid in Japan, an NPR
# bank transfer in Nepal. Deadlines are also shown in this zone.
CURRENCY_ZONES = {"JPY": "Asia/Tokyo", "NPR": "Asia/Kathmandu", "INR": "Asia/Kolkata"}


def normalize_locale(value: object) -> str | None:
    """`"ja"`, `"ja-JP"`, `"NE_np"` -> the supported language code, else None."""
    if not isinstance(value, str) or not value or len(value) > 35:
        return None
    language = value.replace("_", "-").split("-", 1)[0].strip().lower()
    return language if language in SUPPORTED_LOCALES else None


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - _NOT_ZONES


@functools.cache
def _aliases() -> dict[str, str]:

    return dict(get_global("zone_aliases"))


def valid_timezone(value: object) -> str | None:
    """The zone's current IANA name if zoneinfo knows it, else None.

    Old names browsers still report (Chromium says `Asia/Katmandu`) are read as
    the name people know (`Asia/Kathmandu`), using CLDR's alias table.
    """
    if not isinstance(value, str) or len(value) > 64 or not _ZONE_NAME.match(value):
        return None
    if value not in _known_zones():
        return None
    current = _aliases().get(value, value)
    if current.startswith("Etc/") or current not in _known_zones():
        return value  # "UTC" stays UTC
    return current


def _saved(attribute: str) -> str | None:
    try:
        if current_user and current_user.is_authenticated:
            return getattr(current_user, attribute, None)
    except Exception:  # noqa: BLE001 - no user loader context (e.g. a job)
        return None
    return None


def select_locale() -> str | None:
    """Flask-Babel's locale selector (called once per request, then cached)."""
    if not has_request_context():
        return None  # jobs render with `rendering_for(...)`, else English
    # Read from the request too: a refusal raised by an earlier before_request
    # hook (CSRF, NUL bytes) is rendered before ours has run.
    query = g.get("i18n_query_locale") or normalize_locale(request.args.get("lang"))
    if query:
        return query
    return (
        normalize_locale(_saved("locale"))
        or normalize_locale(request.cookies.get(LOCALE_COOKIE))
        or request.accept_languages.best_match(SUPPORTED_LOCALES)
    )


def default_timezone() -> str:
    return valid_timezone(current_app.config.get("DEFAULT_TIMEZONE")) or "UTC"


def select_timezone() -> str:
    """The viewer's zone: saved choice, then the browser's, then the shop's."""
    if not has_request_context():
        return default_timezone()
    return (
        valid_timezone(_saved("timezone"))
        or valid_timezone(request.cookies.get(TIMEZONE_COOKIE))
        or default_timezone()
    )


def current_locale() -> str:
    """The language code pages and emails are rendered in right now."""

    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LOCALE


def current_timezone() -> str:
    """The zone deadlines and order times are shown in right now."""
    override = g.get("i18n_timezone_override") if g else None
    if override:
        return override
    if not has_request_context():
        return default_timezone()
    if "i18n_timezone" not in g:
        g.i18n_timezone = select_timezone()
    return g.i18n_timezone


def order_preferences() -> dict[str, str]:
    """Language and zone to save with a new order, so its emails speak to the
    buyer the way the checkout page did."""
    return {"locale": current_locale(), "timezone": current_timezone()}


def set_locale_cookie(response, locale: str) -> None:
    """Remember a language for a year (read by `select_locale`)."""
    response.set_cookie(
        LOCALE_COOKIE,
        locale,
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure,
    )


def payment_zone(currency: str) -> str:
    """The zone where an order in `currency` is paid (konbini: Japan)."""
    return CURRENCY_ZONES.get((currency or "").upper(), default_timezone())


@contextmanager
def rendering_for(locale: str | None, timezone: str | None) -> Iterator[None]:
    """Render (an email) in the recipient's language and zone, whatever the
    current request or job would otherwise use."""

    language = normalize_locale(locale) or DEFAULT_LOCALE
    zone = valid_timezone(timezone) or default_timezone()
    previous = g.get("i18n_timezone_override")
    g.i18n_timezone_override = zone
    try:
        with force_locale(language):
            yield
    finally:
        g.i18n_timezone_override = previous

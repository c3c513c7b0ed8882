"""Who is calling the API: a bearer token, or (for safe reads) the browser session.

Which user a token belongs to is the accounts domain's knowledge; like Flask-Login's
`user_loader`, the lookup is installed on the app (`install`, called by
`app.composition`), so this core module imports no domain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from app.services_errors import ServiceError

# raw token -> its user, or None for an unknown or revoked token
TokenLookup = Callable[[str], Any]

_EXTENSION = "storefront.api_token_lookup"


def install(app: Flask, lookup: TokenLookup) -> None:
    app.extensions[_EXTENSION] = lookup


def _unauthorized(message: str) -> ServiceError:
    return ServiceError("UNAUTHORIZED", message, 401)


def api_user(optional: bool = False) -> Any:
    """The bearer token's user; session cookies count only for GET, so the API
    needs no CSRF token and a cross-site form cannot act as the user."""
    cache = request.environ.setdefault("storefront.api_user", {})
    if "user" in cache:
        user = cache["user"]
        if user is None and not optional:
            raise _unauthorized(_("Authentication required."))
        return user
    user = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _space, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise _unauthorized(_("Use 'Authorization: Bearer <token>'."))
        user = current_app.extensions[_EXTENSION](raw.strip())
        if user is None:
            raise _unauthorized(_("The token is invalid or revoked."))
    elif request.method in ("GET", "HEAD") and current_user.is_authenticated:
        user = current_user._get_current_object()
    cache["user"] = user
    if user is None and not optional:
        raise _unauthorized(_("Authentication required."))
    return user

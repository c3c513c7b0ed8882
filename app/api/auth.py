"""Who is calling the API: a bearer token, or (for safe reads) the browser session."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from app.accounts.models import User
from app.accounts.services import user_for_token
from app.api.responses import ApiError


def api_user(optional: bool = False) -> User | None:
    """The bearer token's user; session cookies count only for GET, so the API
    needs no CSRF token and a cross-site form cannot act as the user."""
    cache = request.environ.setdefault("storefront.api_user", {})
    if "user" in cache:
        user = cache["user"]
        if user is None and not optional:
            raise ApiError("UNAUTHORIZED", "Authentication required.", 401)
        return user
    user = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise ApiError("UNAUTHORIZED", "Use 'Authorization: Bearer <token>'.", 401)
        user = user_for_token(raw.strip())
        if user is None:
            raise ApiError("UNAUTHORIZED", "The token is invalid or revoked.", 401)
    elif request.method in ("GET", "HEAD") and current_user.is_authenticated:
        user = current_user._get_current_object()
    cache["user"] = user
    if user is None and not optional:
        raise ApiError("UNAUTHORIZED", "Authentication required.", 401)
    return user

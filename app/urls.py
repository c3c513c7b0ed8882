"""Redirect targets we are willing to send a browser to."""

from __future__ import annotations

from urllib.parse import urlencode, urlparse, urlsplit, urlunsplit

from flask import current_app, request


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths are followed after login."""
    if not target:
        return default
    parts = urlparse(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or "\\" in target:
        return default
    if target.startswith("//"):
        return default
    return target


def same_site_path(url: str | None) -> str | None:
    """The path (and query) of a URL on this site, e.g. a Referer, else None."""
    if not url or len(url) > 2000:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path, "") or None


def return_url_allowed(url: str | None) -> bool:
    """An API client's returnUrl must be http(s) on an allow-listed host."""
    if not url:
        return True
    if not isinstance(url, str) or len(url) > 500:
        return False
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.username or parts.password:
        return False
    allowed = current_app.config["ALLOWED_RETURN_HOSTS"]
    host = parts.hostname.lower()
    return any(host == h or host.endswith("." + h) for h in allowed)


def with_query(url: str, **params) -> str:
    parts = urlsplit(url)
    query = parts.query
    extra = urlencode(params)
    query = f"{query}&{extra}" if query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))

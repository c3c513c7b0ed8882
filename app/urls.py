"""Redirect targets we are willing to send a browser to.

A URL is judged the way a browser will read it (the WHATWG URL standard, via
`ada_url`), not only the way Python's `urllib` reads it: the two disagree on
backslashes, tabs and newlines, percent-encoded or full-width hosts, numeric IP
forms and more (`https://evil.com\\.example.com/x` is `example.com` to urllib
and `evil.com` to a browser). Anything the two read differently, or that
carries characters a well-formed URL never needs, is refused rather than
"repaired": a client that sends an ambiguous URL gets a clear 400.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import ada_url
from flask import current_app, request

# Printable ASCII without space, backslash, quote or angle brackets: everything
# else a browser would strip, map or re-encode on its own.
_PLAIN_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F)) - set('\\"<>')
_SAFE_BASE = "https://shop.invalid"


def _plain(text: str) -> bool:
    return all(ch in _PLAIN_CHARS for ch in text)


def browser_host(url: str) -> str | None:
    """The host a browser goes to for absolute http(s) `url`, or None when the
    URL is not one, carries credentials, or Python reads its host or port
    differently than a browser does."""
    if not isinstance(url, str) or not url or len(url) > 2000 or not _plain(url):
        return None
    try:
        seen = ada_url.URL(url)
        naive = urlsplit(url)
        naive_port = naive.port
    except ValueError:
        return None
    if seen.protocol not in ("http:", "https:") or naive.scheme.lower() + ":" != (
        seen.protocol
    ):
        return None
    if seen.username or seen.password or "@" in naive.netloc:
        return None
    host = seen.hostname
    if not host or host != (naive.hostname or "") or "%" in naive.netloc:
        return None
    if not naive.netloc or not url.lower().startswith(naive.scheme.lower() + "://"):
        return None
    # A browser drops the scheme's default port; Python keeps it.
    default = 443 if seen.protocol == "https:" else 80
    if (int(seen.port) if seen.port else default) != (naive_port or default):
        return None
    return host


def _host_listed(host: str, allowed: list[str]) -> bool:
    return any(host == h or host.endswith("." + h) for h in allowed)


def return_url_allowed(url: str | None) -> bool:
    """An API client's returnUrl must be http(s) on an allow-listed host, and
    read the same by a browser and by us."""
    if not url:
        return True
    if not isinstance(url, str) or len(url) > 500:
        return False
    host = browser_host(url)
    return host is not None and _host_listed(
        host, current_app.config["ALLOWED_RETURN_HOSTS"]
    )


def redirect_url_allowed(url: str | None) -> bool:
    """A stored return URL the shop may still send a browser to: on an
    allow-listed host or on the shop's own (an order's own landing page)."""
    if not url:
        return False
    own = browser_host(current_app.config["PUBLIC_BASE_URL"])
    return return_url_allowed(url) or (own is not None and browser_host(url) == own)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths are followed after login: a path that a
    browser, resolving it against this site, keeps on this site."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return default
    if not target.startswith("/") or target.startswith("//") or not _plain(target):
        return default
    try:
        seen = ada_url.URL(target, _SAFE_BASE)
    except ValueError:
        return default
    if seen.origin != _SAFE_BASE:
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


def with_query(url: str, **params) -> str:
    parts = urlsplit(url)
    query = parts.query
    extra = urlencode(params)
    query = f"{query}&{extra}" if query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))

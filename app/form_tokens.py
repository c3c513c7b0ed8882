"""One-time form tokens: a double-clicked or re-posted checkout creates one order.

Each checkout page issues a token kept in the signed session (the last few per
purpose); the POST must present one that is still there, and consumes it.
"""

from __future__ import annotations

import secrets

from flask import session

_KEEP = 5


def issue(purpose: str) -> str:
    key = f"form_tokens:{purpose}"
    token = secrets.token_urlsafe(16)
    session[key] = [*session.get(key, []), token][-_KEEP:]
    return token


def consume(purpose: str, token: str | None) -> bool:
    key = f"form_tokens:{purpose}"
    tokens = session.get(key, [])
    if not token or token not in tokens:
        return False
    tokens.remove(token)
    session[key] = tokens
    return True

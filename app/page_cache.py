"""Rendered catalog fragments, cached until the catalog changes.

Why: the catalog and product pages spent most of their time in ORM queries and
template rendering for content that changes only when the catalog does
(issue #19). Pages keep rendering what belongs to the visitor (navigation,
cart count, CSRF tokens, flashes) on every request; the content block comes from
this cache.

Freshness: every INSERT, UPDATE or DELETE on a catalog table (products, their
cohorts and sessions, events, ticket types - the rows that carry prices, stock
and seats left) marks the connection; after the transaction commits, the
*catalog generation* in Redis is replaced by a new random value. Cache entries
are keyed by that generation, so the next page view in any process renders
afresh: a purchase that takes a seat is never followed by a page showing the
old count. A random value (not a counter) cannot repeat after Redis restarts
empty. When Redis cannot be reached, pages are rendered without the cache, and
every entry expires after `PAGE_CACHE_SECONDS` anyway (bounding anything that
changes with time, such as an event's sales window).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections.abc import Callable

import redis
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

GENERATION_KEY = "page_cache:generation"
CATALOG_TABLES = ("products", "training_cohorts", "training_sessions", "events")
CATALOG_TABLES += ("ticket_types",)
_WRITE = re.compile(
    r"^\s*(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+\"?("
    + "|".join(CATALOG_TABLES)
    + r')\b"?',
    re.IGNORECASE,
)
_MAX_ENTRIES = 1000
_changed = threading.local()


def listen() -> None:
    """Watch every connection for catalog writes (per process; idempotent)."""
    if event.contains(Engine, "after_cursor_execute", _after_execute):
        return
    event.listen(Engine, "after_cursor_execute", _after_execute)
    event.listen(Engine, "commit", _on_commit)
    event.listen(Engine, "rollback", _on_rollback)
    event.listen(Session, "after_commit", _after_session_commit)


def _after_execute(conn, _cursor, statement, _params, _context, _many) -> None:
    if _WRITE.match(statement):
        conn.info["catalog_written"] = True


def _on_commit(conn) -> None:
    # Fired as the connection commits: remember it for the session's
    # after_commit, which runs once the data is visible to other readers.
    if _flag(conn, pop=True):
        _changed.pending = True


def _on_rollback(conn) -> None:
    _flag(conn, pop=True)


def _flag(conn, pop: bool) -> bool:
    """The connection's mark; never raises (a connection that died mid-
    transaction refuses `.info`, and its rollback must go on undisturbed)."""
    try:
        info = conn.info
    except Exception:  # noqa: BLE001 - invalidated connection: nothing to track
        return False
    return bool(info.pop("catalog_written", False)) if pop else False


def _after_session_commit(_session) -> None:
    if getattr(_changed, "pending", False):
        _changed.pending = False
        if has_app_context():
            bump()


def bump() -> None:
    """A new catalog generation: every cached fragment is stale from now on."""
    try:
        _redis().set(GENERATION_KEY, _new_generation())
    except (redis.RedisError, OSError):
        # Readers that cannot reach Redis do not use the cache; once it is back,
        # entries of the old generation live at most PAGE_CACHE_SECONDS.
        current_app.logger.warning("page cache: generation not bumped")


def _new_generation() -> str:
    return f"{uuid.uuid4().hex}:{int(time.time())}"


def generation() -> str | None:
    """The current generation, or None (no caching) when Redis is unreachable."""
    if not current_app.config["PAGE_CACHE_SECONDS"]:
        return None
    client = _redis()
    try:
        value = client.get(GENERATION_KEY)
        if value is None:
            client.set(GENERATION_KEY, _new_generation(), nx=True)
            value = client.get(GENERATION_KEY)
    except (redis.RedisError, OSError):
        return None
    return value.decode() if isinstance(value, bytes) else value


def last_modified(gen: str) -> int:
    """When the catalog last changed (seconds since the epoch)."""
    return int(gen.rsplit(":", 1)[1])


def fragment(gen: str | None, key: tuple, render: Callable[[], str]) -> str:
    """`render()`'s result for `key`, rendered once per generation and process."""
    if gen is None:
        return render()
    store: dict = current_app.extensions.setdefault("page_cache", {})
    now = time.monotonic()
    full = (gen, *key)
    hit = store.get(full)
    if hit is not None and hit[0] > now:
        return hit[1]
    html = render()
    if len(store) >= _MAX_ENTRIES:
        store.clear()
    store[full] = (now + current_app.config["PAGE_CACHE_SECONDS"], html)
    return html


def etag(*parts: object) -> str:
    """A strong validator for a page built from `parts` (all it depends on)."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def _redis() -> redis.Redis:
    return current_app.extensions["redis"]

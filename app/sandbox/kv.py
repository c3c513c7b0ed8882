"""Redis plumbing the three simulators share: JSON values and atomic updates.

The simulators have no tables. Their state is JSON in the app's Redis (the
test suite empties it per test), so the web process and the RQ worker that
delivers webhooks see the same records and a flush resets everything.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import redis
from flask import current_app


def conn() -> redis.Redis:
    return current_app.extensions["redis"]


def load(key: str) -> Any:
    raw = conn().get(key)
    return None if raw is None else json.loads(raw)


def save(key: str, value: Any, ttl: int | None = None) -> None:
    conn().set(key, json.dumps(value), ex=ttl)


def update(key: str, change: Callable[[Any], Any], ttl: int | None = None) -> Any:
    """Read-modify-write one JSON value under WATCH/MULTI.

    Two clicks on "Pay", or a refund racing a payment, must not both see the old
    value: the loser runs `change` again on fresh data. `change` gets the current
    value (None if absent) and returns the value to store, or None to leave Redis
    untouched; it may raise to abort. Returns what is stored afterwards.
    """
    with conn().pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)
                raw = pipe.get(key)
                current = None if raw is None else json.loads(raw)
                updated = change(current)
                if updated is None:
                    pipe.unwatch()
                    return current
                pipe.multi()
                pipe.set(key, json.dumps(updated), ex=ttl)
                pipe.execute()
                return updated
            except redis.WatchError:
                continue

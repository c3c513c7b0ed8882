"""`X-KOMOJU-IDEMPOTENCY`: a POST with a key is performed at most once.

KOMOJU keeps each key for 24 hours. A repeat with the same key answers the
first request's response without doing anything again; a repeat that arrives
while the first is still running gets 409. Requests without the header are
performed every time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from flask import Response, request

from app.sandbox import kv
from app.sandbox.komoju import store
from app.sandbox.komoju.http import error_json
from app.sandbox.komoju.store import SandboxError

HEADER = "X-KOMOJU-IDEMPOTENCY"
KEEP_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 100
_RUNNING = "running"


def idempotent(view: Callable[..., Response]) -> Callable[..., Response]:
    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not key or len(key) > MAX_KEY_LENGTH or not key.isascii():
            return error_json(
                400, "bad_request", f"{HEADER} must be 1 to 100 ASCII characters."
            )
        slot = store.key("idempotency", key)
        if not kv.conn().set(slot, _RUNNING, nx=True, ex=KEEP_SECONDS):
            stored = kv.conn().get(slot)
            if stored is None or stored.decode() == _RUNNING:
                return error_json(
                    409, "conflict", "A request with this key is still running."
                )
            first = json.loads(stored)
            response = Response(first["body"], first["status"], mimetype=first["type"])
            response.headers["Idempotent-Replayed"] = "true"
            return response
        try:
            response = view(*args, **kwargs)
        except SandboxError as exc:
            response = error_json(exc.status, exc.code, exc.message, exc.param)
        except Exception:
            kv.conn().delete(slot)  # nothing was done: a retry may try again
            raise
        if isinstance(response, tuple):
            body, status = response
            body.status_code = status
            response = body
        kv.save(
            slot,
            {
                "status": response.status_code,
                "type": response.mimetype,
                "body": response.get_data(as_text=True),
            },
            ttl=KEEP_SECONDS,
        )
        return response

    return wrapped

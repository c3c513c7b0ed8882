"""`Idempotency-Key`: the same key returns the same result and creates nothing new.

The key row is inserted first, in the same transaction as the work. A concurrent
request with the same key blocks on the unique index (PostgreSQL) or on the write
lock (SQLite) until the first commits, then replays the stored response.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.db_setup import dialect_insert
from app.extensions import db
from app.http.models import IdempotencyKey
from app.http.responses import ok
from app.services_errors import ServiceError


def fingerprint(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(row: IdempotencyKey, fp: str) -> tuple[int, dict]:
    if row.fingerprint != fp:
        raise ServiceError(
            "IDEMPOTENCY_KEY_REUSED",
            _("This Idempotency-Key was used with a different request body."),
            422,
        )
    return row.status_code, row.response


def run_idempotent(
    owner: str, scope: str, key: str | None, body: Any, work: Callable[[], dict]
) -> tuple[int, dict]:
    """Run `work()` once per (owner, scope, key); commit; return (status, data)."""
    if key is None:
        data = work()
        db.session.commit()
        return 200, data
    if not key.strip() or len(key) > 255:
        raise ServiceError(
            "VALIDATION_ERROR", _("Idempotency-Key must be 1-255 characters.")
        )
    fp = fingerprint(body)
    lookup = select(IdempotencyKey).where(
        IdempotencyKey.owner == owner,
        IdempotencyKey.scope == scope,
        IdempotencyKey.key == key,
    )
    # Claim the key in one statement (INSERT .. ON CONFLICT DO NOTHING
    # RETURNING); no row back means it exists - committed, or committed by the
    # concurrent request this insert waited for - so replay it.
    row = db.session.scalars(
        dialect_insert(db.engine, IdempotencyKey)
        .values(owner=owner, scope=scope, key=key, fingerprint=fp, response={})
        .on_conflict_do_nothing(
            index_elements=[
                IdempotencyKey.owner,
                IdempotencyKey.scope,
                IdempotencyKey.key,
            ]
        )
        .returning(IdempotencyKey)
    ).first()
    if row is None:
        existing = db.session.scalar(lookup)
        if existing is None:
            raise RuntimeError("idempotency key vanished after a conflict")
        result = _replay(existing, fp)
        db.session.rollback()
        return result
    data = work()
    row.response = data
    row.status_code = 200
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = db.session.scalar(lookup)
        if existing is None:
            raise
        return _replay(existing, fp)
    return 200, data


def respond_idempotent(owner: str, scope: str, body: Any, work: Callable[[], dict]):
    """`run_idempotent` with the request's `Idempotency-Key`, as a ResponseDto."""
    status, data = run_idempotent(
        owner, scope, request.headers.get("Idempotency-Key"), body, work
    )
    return ok(data, status)

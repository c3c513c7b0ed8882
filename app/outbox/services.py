"""Write, run and clean outbox events.

Work that follows a state change is written to `outbox_events` in the same
transaction (`emit`), so it happens if and only if the change commits. The RQ
side - relaying after commit, the job entry point, the maintenance tick - is
`app.outbox.relay`; which handler runs a topic is `app.outbox.topics`.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from app.conditional import guarded_update
from app.db import utcnow
from app.db_setup import dialect_insert
from app.extensions import db
from app.outbox import topics
from app.outbox.models import OutboxEvent
from app.outbox.states import EVENT_LIFECYCLE, FINISHED_EVENT_STATUSES, EventStatus

log = logging.getLogger(__name__)

# The transport retry policy (see `app.outbox.relay`): seconds before the 2nd,
# 3rd, ... run of a handler that raised; after the last one the event fails.
RETRY_DELAYS = (5, 15, 60, 300)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1

_PENDING_KEY = "outbox_to_relay"

Pending = tuple[int, str, dt.datetime | None]


def emit(
    topic: str,
    payload: dict[str, Any],
    *,
    available_at: dt.datetime | None = None,
    dedupe_key: str | None = None,
) -> OutboxEvent | None:
    """Record follow-up work in the caller's transaction; relayed after commit.

    With a `dedupe_key` that already exists nothing is added and None is returned:
    the work is already booked.
    """
    if not topics.is_known(topic):
        raise ValueError(f"unknown outbox topic {topic!r}")
    # One statement: INSERT .. ON CONFLICT (dedupe_key) DO NOTHING RETURNING.
    # An existing key - committed, or being committed by a concurrent
    # transaction (the insert waits for it) - returns no row.
    row = db.session.scalars(
        dialect_insert(db.engine, OutboxEvent)
        .values(
            topic=topic,
            payload=payload,
            dedupe_key=dedupe_key,
            available_at=available_at or utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[OutboxEvent.dedupe_key])
        .returning(OutboxEvent)
    ).first()
    if row is None:
        return None
    _relay_after_commit(row.id, row.topic, row.available_at)
    return row


def _relay_after_commit(event_id: int, topic: str, at: dt.datetime | None) -> None:
    db.session.info.setdefault(_PENDING_KEY, []).append((event_id, topic, at))


def take_pending(session: Session) -> list[Pending]:
    """The events this session's transaction wrote (and forget them)."""
    return session.info.pop(_PENDING_KEY, None) or []


def _transition(event_id: int, event: str, **values: Any) -> bool:
    return guarded_update(
        OutboxEvent,
        event_id,
        OutboxEvent.status.in_(EVENT_LIFECYCLE.sources(event)),
        status=EVENT_LIFECYCLE.target(event),
        **values,
    )


def run_event(event_id: int) -> str:
    """Run one event's handler; mark it completed, or count the failure.

    A failure before the last attempt is raised again, so RQ runs the job once
    more after the next retry delay; the last one marks the event failed.
    """
    row = db.session.get(OutboxEvent, event_id)
    if row is None or row.status != EventStatus.PENDING:
        return "skipped"
    if row.available_at > utcnow() + dt.timedelta(seconds=2):
        return "not-due"
    handler = topics.topic(row.topic).handler
    topic, payload, attempts = row.topic, dict(row.payload), row.attempts
    try:
        handler(**payload)
        _transition(event_id, "complete", processed_at=utcnow(), attempts=attempts + 1)
        db.session.commit()
        return "completed"
    except Exception as exc:
        db.session.rollback()
        attempts = (
            db.session.scalar(
                select(OutboxEvent.attempts).where(OutboxEvent.id == event_id)
            )
            or 0
        ) + 1
        error = f"{exc.__class__.__name__}: {exc}"[:2000]
        final = attempts >= MAX_ATTEMPTS
        if final:
            _transition(
                event_id,
                "give_up",
                attempts=attempts,
                last_error=error,
                processed_at=utcnow(),
            )
        else:
            guarded_update(
                OutboxEvent,
                event_id,
                OutboxEvent.status == EventStatus.PENDING,
                attempts=attempts,
                last_error=error,
            )
        db.session.commit()
        log.warning(
            "outbox %s (%s) failed attempt %s: %s", event_id, topic, attempts, exc
        )
        if final:
            return "failed"
        raise


def cleanup_outbox(retention_days: int | None = None) -> int:
    """`orders_maintenance.cleanup_outbox`: delete completed/failed rows past the
    retention window. One runner at a time on PostgreSQL (advisory lock)."""
    days = (
        retention_days
        if retention_days is not None
        else current_app.config["OUTBOX_RETENTION_DAYS"]
    )
    if db.engine.dialect.name == "postgresql":
        got = db.session.execute(
            text("SELECT pg_try_advisory_xact_lock(hashtext('outbox-cleanup'))")
        ).scalar()
        if not got:
            return 0
    cutoff = utcnow() - dt.timedelta(days=days)
    result = db.session.execute(
        delete(OutboxEvent).where(
            OutboxEvent.status.in_(FINISHED_EVENT_STATUSES),
            OutboxEvent.processed_at < cutoff,
        )
    )
    return result.rowcount or 0


def redrive(event_id: int) -> bool:
    """Put a failed event back to pending (admin action) and relay it."""
    if not _transition(
        event_id, "redrive", attempts=0, processed_at=None, available_at=utcnow()
    ):
        return False
    row = db.session.get(OutboxEvent, event_id)
    _relay_after_commit(row.id, row.topic, None)
    return True

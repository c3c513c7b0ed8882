"""Write, relay, run and clean outbox events."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import current_app
from sqlalchemy import delete, event, select, text, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.db_setup import dialect_insert
from app.extensions import db
from app.outbox.models import OutboxEvent

log = logging.getLogger(__name__)

_PENDING_KEY = "outbox_to_relay"


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
    from app.jobs import TOPIC_HANDLERS

    if topic not in TOPIC_HANDLERS:
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
    db.session.info.setdefault(_PENDING_KEY, []).append(
        (row.id, row.topic, row.available_at)
    )
    return row


@event.listens_for(Session, "after_commit")
def _relay_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    from app.jobs import relay

    try:
        relay(pending)
    except Exception:  # noqa: BLE001 - the maintenance tick relays it later
        log.exception("outbox relay after commit failed")


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    # Only a full rollback discards the events; savepoint rollbacks keep the list.
    if not session.in_transaction():
        session.info.pop(_PENDING_KEY, None)


def run_event(event_id: int) -> str:
    """Run one event's handler; mark it completed, or count the failure."""
    from app.jobs import MAX_EVENT_ATTEMPTS, TOPIC_HANDLERS, resolve

    row = db.session.get(OutboxEvent, event_id)
    if row is None or row.status != "pending":
        return "skipped"
    if row.available_at > utcnow() + dt.timedelta(seconds=2):
        return "not-due"
    handler = resolve(TOPIC_HANDLERS[row.topic])
    topic, payload = row.topic, dict(row.payload)
    try:
        handler(**payload)
        db.session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event_id, OutboxEvent.status == "pending")
            .values(
                status="completed", processed_at=utcnow(), attempts=row.attempts + 1
            )
        )
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
        final = attempts >= MAX_EVENT_ATTEMPTS
        db.session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event_id, OutboxEvent.status == "pending")
            .values(
                attempts=attempts,
                last_error=f"{exc.__class__.__name__}: {exc}"[:2000],
                status="failed" if final else "pending",
                processed_at=utcnow() if final else None,
            )
        )
        db.session.commit()
        log.warning(
            "outbox %s (%s) failed attempt %s: %s", event_id, topic, attempts, exc
        )
        if final:
            return "failed"
        raise


def relay_stale(older_than_seconds: int | None = None, limit: int = 500) -> int:
    """Re-send due, still-pending events whose job RQ does not hold (Redis was
    down, or a job was lost). Safe to run on many workers: handlers are idempotent.

    Events younger than the grace period are left to the after-commit relay."""
    from app.jobs import job_is_live, relay

    if older_than_seconds is None:
        older_than_seconds = current_app.config["OUTBOX_RELAY_GRACE_SECONDS"]
    cutoff = utcnow() - dt.timedelta(seconds=older_than_seconds)
    rows = db.session.execute(
        select(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.available_at)
        .where(
            OutboxEvent.status == "pending",
            OutboxEvent.available_at <= utcnow(),
            OutboxEvent.created_at <= cutoff,
        )
        .order_by(OutboxEvent.id)
        .limit(limit)
    ).all()
    todo = [(r.id, r.topic, None) for r in rows if not job_is_live(r.id)]
    sent = relay(todo)
    if todo:
        db.session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id.in_([t[0] for t in todo[:sent]]))
            .values(relayed_at=utcnow())
        )
    return sent


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
            OutboxEvent.status.in_(("completed", "failed")),
            OutboxEvent.processed_at < cutoff,
        )
    )
    return result.rowcount or 0


def redrive(event_id: int) -> bool:
    """Put a failed event back to pending (admin action) and relay it."""
    result = db.session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id, OutboxEvent.status == "failed")
        .values(status="pending", attempts=0, processed_at=None, available_at=utcnow())
    )
    if result.rowcount != 1:
        return False
    row = db.session.get(OutboxEvent, event_id)
    db.session.info.setdefault(_PENDING_KEY, []).append((row.id, row.topic, None))
    return True

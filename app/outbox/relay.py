"""The RQ side of the outbox: relay committed events, run them, tidy up.

After a commit, the events it wrote are pushed to RQ (`relay`); every worker's
own tick (`worker_tick`, run by `worker.py` between dequeues every
`WORKER_TICK_SECONDS`, whatever Redis holds) re-sends any that Redis never got
(`relay_stale`) and books the `maintenance-tick` job again if Redis lost it. Each RQ job
runs one event through `run_outbox_event` -> `app.outbox.services.run_event`.

Retries: this is the layer for "the job could not run" (a crash, a database
blip, a mail outage). A handler that raises is run again after
`services.RETRY_DELAYS` by RQ's scheduler, and the event turns `failed` (for a
person to redrive) after the last attempt; the outbox row counts the attempts.
The relay re-sends only events RQ does not hold at all. "The gateway has no
final answer yet" is a different kind of failure, retried by the payments side
(`app.payments.jobs`).
"""

from __future__ import annotations

import datetime as dt
import logging

import redis
from flask import current_app
from rq import Retry
from rq.job import Job, JobStatus
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.extensions import db
from app.jobs import get_queue, in_app_context, redis_connection
from app.outbox import services
from app.outbox.models import OutboxEvent
from app.outbox.states import EventStatus
from app.outbox.topics import topic as topic_of

log = logging.getLogger(__name__)

TRANSPORT_RETRY = Retry(
    max=len(services.RETRY_DELAYS), interval=list(services.RETRY_DELAYS)
)

_LIVE = (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED)


@in_app_context
def run_outbox_event(event_id: int) -> str:
    """The one RQ entry point for outbox work: dispatch by topic, mark the outcome."""
    return services.run_event(event_id)


def outbox_job_id(event_id: int) -> str:
    return f"outbox-{event_id}"


def enqueue_event(event_id: int, topic: str, available_at: dt.datetime | None) -> None:
    """Hand one outbox event to RQ; at a future time it goes to the scheduler."""
    queue = get_queue(topic_of(topic).queue)
    kwargs = {
        "job_id": outbox_job_id(event_id),
        "retry": TRANSPORT_RETRY,
        "description": f"{topic} #{event_id}",
        "failure_ttl": 7 * 24 * 3600,
    }
    if available_at and available_at > utcnow() + dt.timedelta(seconds=1):
        when = available_at.replace(tzinfo=dt.UTC)
        queue.enqueue_at(when, run_outbox_event, event_id, **kwargs)
    else:
        queue.enqueue(run_outbox_event, event_id, **kwargs)


def relay(events: list[tuple[int, str, dt.datetime | None]]) -> int:
    """Push committed events to RQ; a Redis outage is logged, not raised."""
    sent = 0
    for event_id, topic, available_at in events:
        try:
            enqueue_event(event_id, topic, available_at)
            sent += 1
        except (redis.RedisError, OSError) as exc:
            log.warning("outbox %s left for the relay: %s", event_id, exc)
            break
    return sent


def listen() -> None:
    """Relay each commit's events right after it (called by `app.composition`;
    the listeners are per process, so a second call changes nothing)."""
    if not event.contains(Session, "after_commit", _relay_after_commit):
        event.listen(Session, "after_commit", _relay_after_commit)
        event.listen(Session, "after_rollback", _forget_after_rollback)


def _relay_after_commit(session: Session) -> None:
    pending = services.take_pending(session)
    if not pending:
        return
    try:
        relay(pending)
    except Exception:  # noqa: BLE001 - the maintenance tick relays it later
        log.exception("outbox relay after commit failed")


def _forget_after_rollback(session: Session) -> None:
    # Only a full rollback discards the events; savepoint rollbacks keep the list.
    if not session.in_transaction():
        services.take_pending(session)


def job_is_live(event_id: int) -> bool:
    """True when RQ already holds a queued, scheduled or running job for the event."""
    try:
        job = Job.fetch(outbox_job_id(event_id), connection=redis_connection())
    except Exception:  # noqa: BLE001 - NoSuchJobError or a decode problem
        return False
    return job.get_status(refresh=False) in _LIVE


def relay_stale(older_than_seconds: int | None = None, limit: int = 500) -> int:
    """Re-send due, still-pending events whose job RQ does not hold (Redis was
    down, or a job was lost). Safe to run on many workers: handlers are idempotent.

    Events younger than the grace period are left to the after-commit relay."""
    if older_than_seconds is None:
        older_than_seconds = current_app.config["OUTBOX_RELAY_GRACE_SECONDS"]
    cutoff = utcnow() - dt.timedelta(seconds=older_than_seconds)
    rows = db.session.execute(
        select(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.available_at)
        .where(
            OutboxEvent.status == EventStatus.PENDING,
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


@in_app_context
def maintenance_tick(reschedule: bool = True) -> dict:
    """Relay events Redis missed, clean the outbox, and book the next tick."""
    relayed = relay_stale()
    removed = services.cleanup_outbox()
    if reschedule:
        schedule_maintenance()
    return {"relayed": relayed, "removed": removed}


@in_app_context
def worker_tick() -> dict:
    """The worker's own tick: relay events Redis missed and restore the schedule.

    Unlike `maintenance_tick` this is not a Redis job, so an empty Redis (a
    restart, a flush) cannot lose it: `worker.py` calls it from its work loop.
    With Redis still down it relays nothing and changes nothing.
    """
    relayed = relay_stale()
    restored = False
    try:
        if not _maintenance_is_live():
            schedule_maintenance()
            restored = True
    except (redis.RedisError, OSError) as exc:
        log.warning("maintenance tick not restored: %s", exc)
    return {"relayed": relayed, "maintenance_restored": restored}


def _maintenance_is_live() -> bool:
    try:
        job = Job.fetch("maintenance-tick", connection=redis_connection())
    except (redis.RedisError, OSError):
        raise
    except Exception:  # noqa: BLE001 - NoSuchJobError or a decode problem
        return False
    return job.get_status(refresh=False) in _LIVE


def schedule_maintenance() -> None:
    """Book the next tick; a fixed job id keeps one tick scheduled however many
    workers call this."""
    seconds = current_app.config["OUTBOX_MAINTENANCE_SECONDS"]
    get_queue("maintenance").enqueue_in(
        dt.timedelta(seconds=seconds),
        maintenance_tick,
        job_id="maintenance-tick",
        result_ttl=0,
        failure_ttl=3600,
    )

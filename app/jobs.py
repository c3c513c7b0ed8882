"""RQ plumbing: queues, the app-context job wrapper, and the outbox relay.

Work that follows a state change is written to `outbox_events` in the same
transaction (see `app.outbox.services.emit`). After the commit the ids are pushed
to RQ; if Redis was down, the worker's maintenance tick relays them later. Every
topic handler is idempotent, so a second delivery is harmless.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from importlib import import_module
from typing import Any

import redis
from flask import Flask, current_app, has_app_context
from rq import Queue, Retry
from rq.job import Job, JobStatus

from app.db import utcnow

log = logging.getLogger(__name__)

QUEUE_NAMES = ("payments", "default", "mail", "maintenance", "sandbox")

# topic -> "module:function"; each handler takes the event payload as keywords.
TOPIC_HANDLERS: dict[str, str] = {
    "order.payment_success": "app.payments.services:handle_payment_success",
    "order.payment_failed": "app.payments.services:handle_payment_failed",
    "order.payment_retry": "app.payments.services:handle_payment_retry",
    "order.auto_cancel": "app.orders.services:handle_auto_cancel",
    "order.payment_authorized": "app.payments.services:handle_payment_authorized",
    "order.payment_expired": "app.payments.services:handle_payment_expired",
    "email.send": "app.mail.services:handle_send_email",
    "orders_maintenance.cleanup_outbox": "app.outbox.services:cleanup_outbox",
}

TOPIC_QUEUES = {
    "email.send": "mail",
    "orders_maintenance.cleanup_outbox": "maintenance",
}

# Bounded retries for a handler that raised (a crash, a mail outage, a DB blip).
JOB_RETRY = Retry(max=4, interval=[5, 15, 60, 300])
MAX_EVENT_ATTEMPTS = 5

_app: Flask | None = None


def get_app() -> Flask:
    """The app for jobs that run outside a request (one per worker process)."""
    global _app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _app is None:
        from app import create_app

        _app = create_app()
    return _app


def in_app_context(func: Callable) -> Callable:
    """Run a job inside an app context and commit once at the end (or roll back)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from app.extensions import db

        if has_app_context():
            return _run_and_commit(db, func, args, kwargs)
        with get_app().app_context():
            return _run_and_commit(db, func, args, kwargs)

    return wrapper


def _run_and_commit(db, func, args, kwargs):
    try:
        result = func(*args, **kwargs)
        db.session.commit()
        return result
    except BaseException:
        db.session.rollback()
        raise


def redis_connection() -> redis.Redis:
    return current_app.extensions["redis"]


def get_queue(name: str = "default") -> Queue:
    return Queue(
        name,
        connection=redis_connection(),
        is_async=current_app.config["RQ_ASYNC"],
    )


def resolve(path: str) -> Callable[..., Any]:
    module_name, func_name = path.split(":")
    return getattr(import_module(module_name), func_name)


def outbox_job_id(event_id: int) -> str:
    return f"outbox-{event_id}"


def enqueue_event(event_id: int, topic: str, available_at: dt.datetime | None) -> None:
    """Hand one outbox event to RQ; at a future time it goes to the scheduler."""
    queue = get_queue(TOPIC_QUEUES.get(topic, "payments"))
    job_id = outbox_job_id(event_id)
    kwargs = {
        "job_id": job_id,
        "retry": JOB_RETRY,
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


def job_is_live(event_id: int) -> bool:
    """True when RQ already holds a queued, scheduled or running job for the event."""
    try:
        job = Job.fetch(outbox_job_id(event_id), connection=redis_connection())
    except Exception:  # noqa: BLE001 - NoSuchJobError or a decode problem
        return False
    return job.get_status(refresh=False) in (
        JobStatus.QUEUED,
        JobStatus.SCHEDULED,
        JobStatus.STARTED,
        JobStatus.DEFERRED,
    )


@in_app_context
def run_outbox_event(event_id: int) -> str:
    """The one RQ entry point for outbox work: dispatch by topic, mark the outcome."""
    from app.outbox.services import run_event

    return run_event(event_id)


@in_app_context
def maintenance_tick(reschedule: bool = True) -> dict:
    """Relay events Redis missed, clean the outbox, and book the next tick."""
    from app.outbox.services import cleanup_outbox, relay_stale

    relayed = relay_stale()
    removed = cleanup_outbox()
    if reschedule:
        schedule_maintenance()
    return {"relayed": relayed, "removed": removed}


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

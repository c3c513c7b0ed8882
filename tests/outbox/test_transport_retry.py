"""The outbox's transport retries: one policy, from which RQ's retry and the
event's final `failed` both follow; and topics only from the composition."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.outbox import relay, services, topics
from app.outbox.models import OutboxEvent
from app.outbox.states import EventStatus


def test_rq_retries_exactly_the_outbox_policy():
    assert relay.TRANSPORT_RETRY.max == len(services.RETRY_DELAYS)
    assert list(relay.TRANSPORT_RETRY.intervals) == list(services.RETRY_DELAYS)
    assert len(services.RETRY_DELAYS) + 1 == services.MAX_ATTEMPTS


def test_an_unknown_topic_is_refused(app, db):
    with pytest.raises(ValueError, match="unknown outbox topic"):
        services.emit("order.teleport", {})


@pytest.fixture
def failing_topic(app, monkeypatch):
    """A topic whose handler always raises, installed beside the real ones."""
    calls = []

    def boom(**payload):
        calls.append(payload)
        raise RuntimeError("mail server down")

    installed = dict(app.extensions["storefront.outbox_topics"])
    installed["test.boom"] = topics.Topic(boom, queue="default")
    monkeypatch.setitem(app.extensions, "storefront.outbox_topics", installed)
    return calls


def test_a_failing_handler_is_retried_then_given_up(app, db, failing_topic):
    row = OutboxEvent(topic="test.boom", payload={"n": 1})
    db.session.add(row)
    db.session.commit()
    event_id = row.id
    for attempt in range(1, services.MAX_ATTEMPTS):
        # Before the last attempt the error is raised again, so RQ runs the job
        # once more after the next delay.
        with pytest.raises(RuntimeError):
            services.run_event(event_id)
        db.session.rollback()
        stored = db.session.get(OutboxEvent, event_id)
        assert (stored.status, stored.attempts) == (EventStatus.PENDING, attempt)
    assert services.run_event(event_id) == "failed"
    db.session.rollback()
    stored = db.session.scalar(select(OutboxEvent).where(OutboxEvent.id == event_id))
    assert stored.status == EventStatus.FAILED
    assert stored.attempts == services.MAX_ATTEMPTS
    assert stored.last_error == "RuntimeError: mail server down"
    assert len(failing_topic) == services.MAX_ATTEMPTS
    # A failed event is done with: running it again does nothing.
    assert services.run_event(event_id) == "skipped"

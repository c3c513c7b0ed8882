"""Issue #13, finding 7: an enrollment's sweep and a worker's capture never
deadlock, and a transaction the database aborts for a race runs once more.

The old path: the enrollment locked the promotion row, then (cohort full) swept
an expired hold - its payment, its order, the cohort - while a worker capturing
another order of the cohort held the cohort and wanted the promotion. With one
global order (payments, orders, cohorts/stock, promotions; docs/architecture.md)
the two only ever wait for each other in one direction.

On PostgreSQL the test steers the interleaving that used to deadlock: a row lock
it holds on the expired order's payment stops the enrollment at the start of its
sweep; the capture runs meanwhile; then the lock is released. On SQLite (one
writer at a time) the same two run side by side and must both succeed too.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import pytest
import requests
from sqlalchemy import select, text, update

from app.accounts.services import issue_token
from app.db import utcnow
from app.db_retry import retry_once
from app.extensions import db as _db
from app.orders.models import Order
from app.outbox.models import OutboxEvent
from app.promotions.models import Promotion
from app.training.models import Enrollment
from tests.support import esewa
from tests.training.conftest import seats

RETRY_LOG = "running the transaction again"


def _token(factory, email: str) -> str:
    user = factory.user(email=email, name=email)
    token = issue_token(user)
    _db.session.commit()
    return token


def _enroll(live_url: str, token: str, body: dict):
    resp = requests.post(
        f"{live_url}/api/mobile/training/enroll",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )
    return resp.status_code, resp.json()


def _body(product, cohort, session, email: str, code: str | None) -> dict:
    return {
        "productId": product.id,
        "cohortId": cohort.id,
        "sessionId": session.id,
        "promoCode": code,
        "gateway": "esewa",
        "returnUrl": None,
        "formData": {"name": email, "email": email, "phone": "+9779800000000"},
    }


def _lock_waiters(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )


def _wait(predicate, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_enrollment_sweep_and_capture_take_locks_in_one_order(
    factory, live_url, db, db_backend, jobs, caplog
):
    caplog.set_level(logging.WARNING, logger="app.db_retry")
    factory.payment_methods()
    product, cohort, session = factory.training(capacity=2)
    factory.promotion(code="TEAM", value=10)
    tokens = [_token(factory, f"learner{n}@example.com") for n in range(3)]
    bodies = [
        _body(product, cohort, session, f"learner{n}@example.com", code)
        for n, code in enumerate((None, "TEAM", "TEAM"))
    ]

    # Learner 0 reached eSewa and walked away: the hold has expired.
    status, first = _enroll(live_url, tokens[0], bodies[0])
    assert status == 200, first
    first = first["data"]
    esewa.post_form(first)
    db.session.rollback()
    db.session.execute(
        update(Order)
        .where(Order.id == first["orderId"])
        .values(expires_at=utcnow() - dt.timedelta(minutes=1))
    )
    db.session.commit()
    # Learner 1 paid with the code; the capture waits in the queue.
    status, second = _enroll(live_url, tokens[1], bodies[1])
    assert status == 200, second
    second = second["data"]
    back = esewa.pay(live_url, second)
    assert requests.get(back, allow_redirects=False, timeout=30).status_code == 302
    assert seats(cohort.id) == (0, 2)  # full: learner 2 needs the sweep

    engine = db.engine
    blocker = None
    if db_backend == "postgresql":
        blocker = engine.connect()
        blocker.execute(
            text("SELECT id FROM payments WHERE id = :id FOR UPDATE"),
            {"id": first["paymentId"]},
        )

    result = {}
    enrolling = threading.Thread(
        target=lambda: result.update(third=_enroll(live_url, tokens[2], bodies[2]))
    )
    enrolling.start()
    if blocker is None:  # SQLite: one writer at a time, so one after the other
        enrolling.join(timeout=120)
    captured = threading.Event()
    releaser = None
    if blocker is not None:
        # The enrollment is stopped at the expired order's payment...
        assert _wait(lambda: _lock_waiters(engine) >= 1)

        def release():
            # ...until the capture is done, or (the old order) waits as well.
            _wait(lambda: captured.is_set() or _lock_waiters(engine) >= 2)
            blocker.rollback()
            blocker.close()

        releaser = threading.Thread(target=release)
        releaser.start()
    jobs.run()  # the worker's capture of learner 1's payment
    captured.set()
    if releaser is not None:
        releaser.join(timeout=120)
    enrolling.join(timeout=120)

    db.session.rollback()
    status, third = result["third"]
    assert status == 200, third
    assert db.session.get(Order, first["orderId"]).status == "cancelled"
    assert db.session.get(Order, second["orderId"]).status == "paid"
    assert db.session.get(Order, third["data"]["orderId"]).discount > 0
    assert seats(cohort.id) == (1, 1)
    enrolled = db.session.scalars(
        select(Enrollment.status).order_by(Enrollment.id)
    ).all()
    assert enrolled == ["cancelled", "enrolled", "pending"]
    assert db.session.scalar(select(Promotion.uses_count)) == 1
    failed_runs = db.session.scalars(
        select(OutboxEvent.last_error).where(OutboxEvent.last_error != "")
    ).all()
    assert failed_runs == []
    # Not rescued by the retry: the order itself kept them apart.
    assert RETRY_LOG not in caplog.text


def test_a_deadlocked_transaction_runs_once_more(app, db, db_backend, factory, caplog):
    """A real PostgreSQL deadlock (40P01) inside `retry_once`: rolled back and run
    again, and the second run commits."""
    if db_backend != "postgresql":
        pytest.skip("SQLite serialises writers: it cannot deadlock")
    caplog.set_level(logging.WARNING, logger="app.db_retry")
    a = factory.promotion(code="ROW-A")
    b = factory.promotion(code="ROW-B")
    a_id, b_id = a.id, b.id
    engine = db.engine
    other = engine.connect()
    other.execute(text("SET deadlock_timeout = '60s'"))  # `work` is the victim
    other.execute(
        text("UPDATE promotions SET uses_count = uses_count + 10 WHERE id = :id"),
        {"id": b_id},
    )
    runs = []
    first_lock_taken = threading.Event()

    def work():
        runs.append(1)
        db.session.execute(text("SET LOCAL deadlock_timeout = '2s'"))
        db.session.execute(
            update(Promotion)
            .where(Promotion.id == a_id)
            .values(uses_count=Promotion.uses_count + 1)
        )
        first_lock_taken.set()
        db.session.execute(
            update(Promotion)
            .where(Promotion.id == b_id)
            .values(uses_count=Promotion.uses_count + 1)
        )
        db.session.commit()

    def other_side():
        first_lock_taken.wait(30)
        _wait(lambda: _lock_waiters(engine) >= 1)
        other.execute(
            text("UPDATE promotions SET uses_count = uses_count + 10 WHERE id = :id"),
            {"id": a_id},
        )  # waits for `work`, which the deadlock detector then aborts
        other.commit()
        other.close()

    side = threading.Thread(target=other_side)
    side.start()
    retry_once(work)()
    side.join(timeout=60)
    db.session.rollback()
    counts = dict(db.session.execute(select(Promotion.id, Promotion.uses_count)).all())
    assert len(runs) == 2
    assert counts == {a_id: 11, b_id: 11}
    assert "40P01" in caplog.text and RETRY_LOG in caplog.text


def test_every_view_retries_once(app):
    views = [v for e, v in app.view_functions.items() if e != "static"]
    assert views and all(getattr(v, "retries_once", False) for v in views)

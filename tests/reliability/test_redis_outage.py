"""Issue #13, finding 1: workers ride out a Redis restart and drain the outbox.

Two real `worker.py` processes stay up the whole time. Redis is killed while one
of them runs a job; customers pay at the gateway while it is down (the outbox rows
are written, nothing reaches RQ); Redis comes back empty and nobody touches the
workers. The orders must be paid without a restart, a CLI tick or a burst worker:
the workers reconnect on their own and their own tick relays the outbox.
"""

from __future__ import annotations

import requests
from rq import Worker
from rq.registry import StartedJobRegistry
from sqlalchemy import func, select

from app.db import utcnow
from app.library.models import ProductAccess
from app.outbox.models import OutboxEvent
from tests.reliability.test_faults import (
    buyer,
    checkout,
    count,
    paid_orders,
    paid_transitions,
    receipts,
    wait_until,
)
from tests.support import esewa


def _started_jobs(shop_stack) -> int:
    try:
        return len(StartedJobRegistry("payments", connection=shop_stack.redis.client()))
    except Exception:  # noqa: BLE001 - Redis is being restarted
        return 0


def _registered_workers(shop_stack) -> int:
    return len(Worker.all(connection=shop_stack.redis.client()))


def _pending_events(db) -> int:
    """Due events not yet run (an order's auto-cancel waits for its deadline)."""
    return count(
        db,
        select(func.count(OutboxEvent.id)).where(
            OutboxEvent.status == "pending", OutboxEvent.available_at <= utcnow()
        ),
    )


def test_workers_survive_an_empty_redis_restart_and_drain_the_outbox(
    shop_stack, factory, db, live_url, app, report, tmp_path
):
    factory.payment_methods()
    course = factory.product("course", price=80000)
    shop = shop_stack.url
    shop_stack.env["WORKER_TICK_SECONDS"] = "1"
    buyers = [buyer(factory, shop, n, course) for n in range(4)]
    logs = [tmp_path / f"worker{n}.log" for n in range(2)]
    workers = [shop_stack.start_worker(log) for log in logs]
    try:
        assert wait_until(lambda: _registered_workers(shop_stack) == 2, 120)
        # Buyer 0's verification is under way (a slow status check) when Redis dies.
        first = checkout(shop, buyers[0])
        first_return = esewa.pay(live_url, first)
        app.config["SANDBOX_HANG_SECONDS"] = 2
        requests.post(
            f"{live_url}/_sandbox/esewa/mode", data={"mode": "hang"}, timeout=10
        )
        assert (
            requests.get(first_return, allow_redirects=False, timeout=60).status_code
            == 302
        )
        busy = wait_until(lambda: _started_jobs(shop_stack) > 0, 30, interval=0.05)
        shop_stack.redis.stop()
        requests.post(
            f"{live_url}/_sandbox/esewa/mode", data={"mode": "ok"}, timeout=10
        )

        # Three more customers check out and pay while Redis is down.
        inits = [checkout(shop, h) for h in buyers[1:]]
        returns = [esewa.pay(live_url, init) for init in inits]
        landed = [
            requests.get(url, allow_redirects=False, timeout=60).status_code
            for url in returns
        ]
        waiting = _pending_events(db)
        paid_while_down = paid_orders(db)

        shop_stack.redis.start()  # empty: every job and the maintenance tick are gone
        drained = wait_until(
            lambda: paid_orders(db) == 4 and _pending_events(db) == 0, 90
        )
        alive = [w.poll() is None for w in workers]
        maintenance_booked = shop_stack.redis.client().exists("rq:job:maintenance-tick")
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=60)
    recovered = sum(log.read_text().count("Redis is back") for log in logs)
    row = report(
        "Redis restarted empty under running workers",
        "redis-server killed while a worker ran a job; 3 payments during the "
        "outage; restarted empty; workers left alone",
        operations=4,
        worker_was_busy_when_redis_died=(True, busy),
        redirects_landed_while_down=([302, 302, 302], landed),
        events_waiting_in_outbox=(True, waiting >= 3),
        paid_while_redis_down=(True, paid_while_down <= 1),
        outbox_drained_and_orders_paid=(True, drained),
        orders_paid=(4, paid_orders(db)),
        paid_transitions=(4, paid_transitions(db)),
        access_grants=(4, count(db, select(func.count(ProductAccess.id)))),
        receipt_emails=(4, receipts(db)),
        workers_still_running=([True, True], alive),
        workers_recovered_by_themselves=(True, recovered >= 1),
        maintenance_tick_booked_again=(1, maintenance_booked),
    )
    assert row.held, {k: v for k, v in row.checks.items() if v[0] != v[1]}

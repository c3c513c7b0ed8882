"""SPEC §6 under injected faults: Redis down, workers killed, gateway down."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
import requests
from sqlalchemy import func, select

from app.library.models import ProductAccess
from app.mail.models import EmailLog
from app.orders.models import Order
from app.outbox.models import OutboxEvent
from app.payments.models import PaymentEvent
from tests.reliability.conftest import ROOT
from tests.support import esewa
from tests.support.factories import PASSWORD


def count(db, stmt) -> int:
    db.session.rollback()
    return db.session.scalar(stmt)


def paid_orders(db) -> int:
    return count(db, select(func.count(Order.id)).where(Order.status == "paid"))


def receipts(db) -> int:
    return count(
        db, select(func.count(EmailLog.id)).where(EmailLog.dedupe_key.like("receipt-%"))
    )


def paid_transitions(db) -> int:
    return count(
        db,
        select(func.count(PaymentEvent.id)).where(PaymentEvent.outcome == "order_paid"),
    )


def buyer(factory, shop_url: str, n: int, product) -> dict:
    """A customer who has a course in the cart at the shop; returns auth headers."""
    user = factory.user(email=f"buyer{n}@example.com")
    token = requests.post(
        f"{shop_url}/api/auth/token",
        json={"email": user.email, "password": PASSWORD},
        timeout=30,
    ).json()["data"]["token"]
    headers = {"Authorization": f"Bearer {token}"}
    resp = requests.post(
        f"{shop_url}/api/cart/items",
        json={"productId": product.id, "quantity": 1},
        headers=headers,
        timeout=30,
    )
    assert resp.status_code == 201, resp.text
    return headers


def checkout(shop_url: str, headers: dict) -> dict:
    resp = requests.post(
        f"{shop_url}/api/orders/checkout",
        json={"gateway": "esewa"},
        headers=headers,
        timeout=60,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


def wait_until(predicate, timeout: float, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def test_redis_down_while_customers_check_out_and_gateways_call_back(
    shop_stack, factory, db, live_url, report
):
    factory.payment_methods()
    course = factory.product("course", price=80000)
    shop = shop_stack.url
    buyers = [buyer(factory, shop, n, course) for n in range(3)]

    first = checkout(shop, buyers[0])
    first_return = esewa.pay(live_url, first)

    shop_stack.redis.stop()
    inits = [first] + [checkout(shop, h) for h in buyers[1:]]  # Redis is down
    returns = [first_return] + [esewa.pay(live_url, init) for init in inits[1:]]
    statuses = [
        requests.get(url, allow_redirects=False, timeout=60).status_code
        for url in returns
    ]
    waiting = count(
        db,
        select(func.count(OutboxEvent.id)).where(
            OutboxEvent.topic == "order.payment_success",
            OutboxEvent.status == "pending",
        ),
    )
    paid_while_down = paid_orders(db)

    shop_stack.redis.start()  # an empty Redis: everything queued before is gone
    shop_stack.maintenance()  # the relay re-sends what the outbox still holds
    done = shop_stack.worker()
    assert done.returncode == 0, done.stderr[-3000:]

    row = report(
        "Redis stopped during checkout and callbacks",
        "redis-server killed before 2 checkouts and 3 gateway returns; restarted empty",
        operations=3 + 3,
        checkout_and_callback_http_ok=(6, statuses.count(302) + len(inits)),
        events_waiting_in_outbox=(3, waiting),
        paid_while_redis_down=(0, paid_while_down),
        orders_paid_after_recovery=(3, paid_orders(db)),
        paid_transitions=(3, paid_transitions(db)),
        access_grants=(3, count(db, select(func.count(ProductAccess.id)))),
        receipt_emails=(3, receipts(db)),
    )
    assert row.held, row.checks


def _started_jobs(shop_stack) -> int:
    from rq.registry import StartedJobRegistry

    return len(StartedJobRegistry("payments", connection=shop_stack.redis.client()))


def test_work_horse_killed_mid_payment_success(
    shop_stack, factory, db, live_url, app, report, tmp_path
):
    """SIGKILL the process running `order.payment_success`; RQ retries the job."""
    factory.payment_methods()
    course = factory.product("course", price=80000)
    headers = buyer(factory, shop_stack.url, 1, course)
    init = checkout(shop_stack.url, headers)
    back = esewa.pay(live_url, init)
    app.config["SANDBOX_HANG_SECONDS"] = 2  # the status check is slow...
    requests.post(f"{live_url}/_sandbox/esewa/mode", data={"mode": "hang"}, timeout=10)
    shop_stack.env["WORKER_CLASS"] = "fork"  # the class with a horse to kill
    worker = shop_stack.start_worker(tmp_path / "worker1.log")
    try:
        assert requests.get(back, allow_redirects=False, timeout=60).status_code == 302
        assert wait_until(lambda: _started_jobs(shop_stack) > 0, 30)
        # RQ marks the job started before it forks the horse: on a busy machine
        # the fork can come a moment later.
        assert wait_until(
            lambda: len(psutil.Process(worker.pid).children()) >= 2, 30
        ), "expected the scheduler and a work horse"
        children = psutil.Process(worker.pid).children()
        # The horse is forked per job, after the long-lived scheduler process.
        horse = max(children, key=lambda p: p.create_time())
        horse.send_signal(signal.SIGKILL)  # ...and it dies mid-job
        requests.post(
            f"{live_url}/_sandbox/esewa/mode", data={"mode": "ok"}, timeout=10
        )
        paid = wait_until(lambda: paid_orders(db) == 1, 90)
        wait_until(lambda: receipts(db) == 1, 30)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    row = report(
        "Work horse killed during order.payment_success",
        "SIGKILL to the RQ work horse while it waited on the gateway",
        operations=1,
        order_paid=(True, paid),
        paid_transitions=(1, paid_transitions(db)),
        access_grants=(1, count(db, select(func.count(ProductAccess.id)))),
        receipt_emails=(1, receipts(db)),
    )
    assert row.held, row.checks


@pytest.mark.slow
def test_whole_worker_killed_mid_payment_success_recovers_after_restart(
    shop_stack, factory, db, live_url, app, report, tmp_path
):
    """SIGKILL the worker and its horse; a new worker finds the abandoned job."""
    factory.payment_methods()
    course = factory.product("course", price=80000)
    headers = buyer(factory, shop_stack.url, 1, course)
    init = checkout(shop_stack.url, headers)
    back = esewa.pay(live_url, init)
    app.config["SANDBOX_HANG_SECONDS"] = 3
    requests.post(f"{live_url}/_sandbox/esewa/mode", data={"mode": "hang"}, timeout=10)
    worker = subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=str(ROOT),
        env=shop_stack.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert requests.get(back, allow_redirects=False, timeout=60).status_code == 302
    assert wait_until(lambda: _started_jobs(shop_stack) > 0, 30)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    requests.post(f"{live_url}/_sandbox/esewa/mode", data={"mode": "ok"}, timeout=10)
    restarted = shop_stack.start_worker(tmp_path / "worker2.log")
    try:
        paid = wait_until(lambda: paid_orders(db) == 1, 300, interval=2)
        wait_until(lambda: receipts(db) == 1, 30)
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)
    row = report(
        "Whole worker killed during order.payment_success",
        "SIGKILL to the worker process group mid-job; a new worker started",
        operations=1,
        order_paid=(True, paid),
        paid_transitions=(1, paid_transitions(db)),
        access_grants=(1, count(db, select(func.count(ProductAccess.id)))),
        receipt_emails=(1, receipts(db)),
    )
    assert row.held, row.checks


@pytest.mark.parametrize("fault", ["fail", "hang"])
def test_gateway_status_api_down_gives_bounded_retries(
    shop_stack, factory, db, live_url, app, report, tmp_path, fault
):
    """The status API answers 503 (or hangs past our timeout): nothing is marked
    paid, retries stop after the configured number, the order stays payable."""
    factory.payment_methods()
    course = factory.product("course", price=80000)
    headers = buyer(factory, shop_stack.url, 1, course)
    init = checkout(shop_stack.url, headers)
    back = esewa.pay(live_url, init)
    app.config["SANDBOX_HANG_SECONDS"] = 5  # longer than GATEWAY_TIMEOUT_SECONDS=3
    requests.post(f"{live_url}/_sandbox/esewa/mode", data={"mode": fault}, timeout=10)
    shop_stack.env["PAYMENT_RETRY_BACKOFF"] = "1,1,1"
    worker = shop_stack.start_worker(tmp_path / "worker.log")
    try:
        assert requests.get(back, allow_redirects=False, timeout=60).status_code == 302

        def exhausted():
            return count(
                db,
                select(func.count(PaymentEvent.id)).where(
                    PaymentEvent.outcome == "verification_exhausted"
                ),
            )

        gave_up = wait_until(exhausted, 120)
        checks = count(
            db,
            select(func.count(PaymentEvent.id)).where(
                PaymentEvent.kind == "status_check",
                PaymentEvent.outcome == "gateway_error",
            ),
        )
        order = db.session.get(Order, init["orderId"])
        status_while_down = order.status
        # The gateway recovers; staff press "check now" (the same finalisation).
        requests.post(
            f"{live_url}/_sandbox/esewa/mode", data={"mode": "ok"}, timeout=10
        )
        from app.payments.finalise import check_now

        with shop_stack.app.app_context():
            from app.extensions import db as shop_db

            check_now(init["paymentId"])
            shop_db.session.commit()
            shop_db.session.remove()
        paid = wait_until(lambda: paid_orders(db) == 1, 30)
        wait_until(lambda: receipts(db) == 1, 30)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    row = report(
        f"Gateway status API {'503' if fault == 'fail' else 'timing out'}",
        f"eSewa sandbox in '{fault}' mode during verification; retry backoff 1,1,1 s",
        operations=1,
        gave_up_after_bounded_retries=(True, bool(gave_up)),
        status_checks_while_down=(4, checks),
        order_status_while_down=("payment_pending", status_while_down),
        paid_after_recovery=(True, paid),
        paid_transitions=(1, paid_transitions(db)),
        receipt_emails=(1, receipts(db)),
    )
    assert row.held, row.checks


def test_database_connection_cut_mid_checkout(
    make_shop, factory, db, db_backend, report
):
    """The connection dies after the order row is written, before COMMIT: a clear
    503, and not a trace of the half-made order."""
    if db_backend != "postgresql":
        pytest.skip("SQLite has no connection to cut")
    from sqlalchemy.engine import make_url

    from app.http.models import IdempotencyKey
    from app.payments.models import Payment
    from tests.reliability.tcp_proxy import CuttingProxy

    url = make_url(db.engine.url.render_as_string(hide_password=False))
    proxy = CuttingProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(
        hide_password=False
    )
    shop = make_shop(proxied)
    try:
        factory.payment_methods()
        course = factory.product("course", price=80000)
        headers = buyer(factory, shop.url, 1, course)
        proxy.cut_on = b"INSERT INTO payments"
        resp = requests.post(
            f"{shop.url}/api/orders/checkout",
            json={"gateway": "esewa"},
            headers={**headers, "Idempotency-Key": "cut-1"},
            timeout=60,
        )
        cut_status, cut_body = resp.status_code, resp.json()
        orders_after_cut = count(db, select(func.count(Order.id)))
        payments_after_cut = count(db, select(func.count(Payment.id)))
        keys_after_cut = count(db, select(func.count(IdempotencyKey.id)))
        proxy.cut_on = None
        again = requests.post(
            f"{shop.url}/api/orders/checkout",
            json={"gateway": "esewa"},
            headers={**headers, "Idempotency-Key": "cut-1"},
            timeout=60,
        )
    finally:
        proxy.stop()
    row = report(
        "Database connection cut mid-checkout",
        "TCP proxy to PostgreSQL closed both sides at the payment INSERT",
        operations=2,
        first_answer=(503, cut_status),
        error_code=("SERVICE_UNAVAILABLE", (cut_body.get("error") or {}).get("code")),
        orders_after_cut=(0, orders_after_cut),
        payments_after_cut=(0, payments_after_cut),
        idempotency_keys_after_cut=(0, keys_after_cut),
        retry_with_same_key=(200, again.status_code),
        orders_after_retry=(1, count(db, select(func.count(Order.id)))),
        connections_cut=(1, proxy.cuts),
    )
    assert row.held, row.checks

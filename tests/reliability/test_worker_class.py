"""The non-forking worker (`WORKER_CLASS=simple`, nofork_worker.py) keeps what
the horse per job gave: timeouts enforced, a killed worker's job recovered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import requests
from rq import Queue
from rq.job import Job
from sqlalchemy import func, select

from app.library.models import ProductAccess
from tests.reliability.conftest import ROOT
from tests.reliability.test_faults import (
    _started_jobs,
    buyer,
    checkout,
    count,
    paid_orders,
    paid_transitions,
    receipts,
    wait_until,
)
from tests.support import esewa
from tests.support.slow_jobs import outlive_timeout, quick


def test_job_past_its_timeout_is_stopped_by_the_nofork_worker(shop_stack, report):
    """A job enqueued with a 2 s timeout that would run 60 s: the worker process
    (which runs it in its own main thread) stops it and records the timeout."""
    queue = Queue("default", connection=shop_stack.redis.client())
    job = queue.enqueue(outlive_timeout, 60, job_timeout=2, failure_ttl=3600)
    shop_stack.env["WORKER_CLASS"] = "simple"
    done = shop_stack.worker(timeout=50)
    assert done.returncode == 0, done.stderr[-3000:]
    job = Job.fetch(job.id, connection=shop_stack.redis.client())
    failure = job.latest_result()
    row = report(
        "Job past its timeout in the non-forking worker",
        "job_timeout=2 s, a job of 60 s; worker.py --burst, WORKER_CLASS=simple",
        operations=1,
        job_failed=(True, job.is_failed),
        timeout_recorded=(
            True,
            failure is not None and "JobTimeoutException" in (failure.exc_string or ""),
        ),
    )
    assert row.held, row.checks


def test_killed_nofork_worker_payment_job_is_recovered(
    shop_stack, factory, db, live_url, app, report, tmp_path
):
    """SIGKILL the whole non-forking worker mid `order.payment_success`: its job's
    heartbeat stops, another worker finds it abandoned and runs it again."""
    factory.payment_methods()
    course = factory.product("course", price=80000)
    headers = buyer(factory, shop_stack.url, 1, course)
    init = checkout(shop_stack.url, headers)
    back = esewa.pay(live_url, init)
    app.config["SANDBOX_HANG_SECONDS"] = 3
    requests.post(f"{live_url}/_sandbox/esewa/mode", data={"mode": "hang"}, timeout=10)
    shop_stack.env["WORKER_CLASS"] = "simple"
    shop_stack.env["WORKER_JOB_HEARTBEAT_SECONDS"] = "1"
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
        paid = wait_until(lambda: paid_orders(db) == 1, 120)
        wait_until(lambda: receipts(db) == 1, 30)
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)
    row = report(
        "Non-forking worker killed during order.payment_success",
        "SIGKILL to the worker (WORKER_CLASS=simple) mid-job; a new worker started",
        operations=1,
        order_paid=(True, paid),
        paid_transitions=(1, paid_transitions(db)),
        access_grants=(1, count(db, select(func.count(ProductAccess.id)))),
        receipt_emails=(1, receipts(db)),
    )
    assert row.held, row.checks


def test_a_busy_payments_queue_does_not_starve_the_mail_queue(shop_stack):
    """Five captures waiting and one receipt: the worker takes the receipt
    second, not after the payments queue is empty (round-robin dequeue), so
    mail keeps going out during a ticket drop."""
    connection = shop_stack.redis.client()
    payments = Queue("payments", connection=connection)
    mail = Queue("mail", connection=connection)
    captures = [payments.enqueue(quick, f"capture-{i}") for i in range(5)]
    receipt = mail.enqueue(quick, "receipt")
    done = shop_stack.worker(timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    ended = sorted(
        Job.fetch_many([j.id for j in [*captures, receipt]], connection=connection),
        key=lambda job: job.ended_at,
    )
    order = [job.return_value() for job in ended]
    assert order.index("receipt") == 1, order

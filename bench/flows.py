"""HTTP and job flows that wrk cannot drive: gateway callbacks and worker runs."""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import requests

from bench.data import connect


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(pct * 10) - 1]


# --- orders waiting for their eSewa callback --------------------------------


def _checkout_and_pay(session: requests.Session, base: str, token: str) -> dict:
    """What a customer does: checkout, post the eSewa form, press Pay. Returns the
    order id and the signed success URL eSewa sends the browser to (not followed)."""
    resp = session.post(
        f"{base}/api/orders/checkout",
        json={"gateway": "esewa"},
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": f"cb-{uuid.uuid4().hex}",
        },
        timeout=30,
    )
    if resp.status_code != 200:
        raise RuntimeError(f"checkout {resp.status_code}: {resp.text[:300]}")
    init = resp.json()["data"]
    form = session.post(init["redirectUrl"], data=init["gatewayPayload"], timeout=30)
    if form.status_code != 200:
        raise RuntimeError(f"sandbox form {form.status_code}: {form.text[:300]}")
    pay_url = init["redirectUrl"].split("/_sandbox/")[0] + "/_sandbox/esewa/pay"
    paid = session.post(
        pay_url,
        data={"transaction_uuid": init["gatewayTransactionId"], "outcome": "success"},
        allow_redirects=False,
        timeout=30,
    )
    if paid.status_code != 302:
        raise RuntimeError(f"sandbox pay {paid.status_code}: {paid.text[:300]}")
    parts = urlsplit(paid.headers["Location"])
    return {"order_id": init["orderId"], "callback": f"{parts.path}?{parts.query}"}


def prepare_callbacks(bases: list[str], tokens: list[str], n: int) -> list[dict]:
    """n orders (one per user), alternating over the servers in `bases`."""
    local = threading.local()

    def one(i: int) -> dict:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return _checkout_and_pay(local.session, bases[i % len(bases)], tokens[i])

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(n)))


# --- firing callbacks and watching orders become paid -------------------------


class PaidWatcher(threading.Thread):
    """Polls PostgreSQL every `interval` s and stamps when each order is paid."""

    def __init__(self, db_url: str, order_ids: list[int], interval: float = 0.01):
        super().__init__(daemon=True)
        self.db_url = db_url
        self.pending = set(order_ids)
        self.paid_at: dict[int, float] = {}
        self.interval = interval
        self.stop_flag = threading.Event()

    def run(self) -> None:
        with connect(self.db_url) as conn:
            while self.pending and not self.stop_flag.is_set():
                rows = conn.execute(
                    "SELECT id FROM orders WHERE id = ANY(%s) AND status = 'paid'",
                    (list(self.pending),),
                ).fetchall()
                now = time.time()
                for (order_id,) in rows:
                    self.paid_at[order_id] = now
                    self.pending.discard(order_id)
                time.sleep(self.interval)


def fire_callbacks(
    db_url: str,
    orders: list[dict],
    rate: float,
    bases: list[str],
    duplicates: bool = False,
    timeout: float = 90.0,
) -> dict:
    """Send each order's success callback at a steady `rate` per second (to the
    servers in turn; with `duplicates`, also to the next server at the same time,
    as a retrying browser would) and measure callback -> order paid."""
    watcher = PaidWatcher(db_url, [o["order_id"] for o in orders])
    watcher.start()
    sent_at: dict[int, float] = {}
    statuses: dict[int, int] = {}
    local = threading.local()

    def send(base: str, order: dict) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        try:
            resp = local.session.get(
                base + order["callback"], allow_redirects=False, timeout=30
            )
            code = resp.status_code
        except requests.RequestException:
            code = 0
        statuses[code] = statuses.get(code, 0) + 1

    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        for i, order in enumerate(orders):
            due = started + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sent_at[order["order_id"]] = time.time()
            pool.submit(send, bases[i % len(bases)], order)
            if duplicates and len(bases) > 1:
                pool.submit(send, bases[(i + 1) % len(bases)], order)
        send_seconds = time.monotonic() - started
    deadline = time.monotonic() + timeout
    while watcher.pending and time.monotonic() < deadline:
        time.sleep(0.05)
    watcher.stop_flag.set()
    watcher.join(5)
    latencies = [
        (watcher.paid_at[oid] - sent_at[oid]) * 1000
        for oid in sent_at
        if oid in watcher.paid_at
    ]
    last_paid = max(watcher.paid_at.values(), default=time.time())
    first_sent = min(sent_at.values(), default=time.time())
    return {
        "orders": len(orders),
        "paid": len(watcher.paid_at),
        "not_paid": len(watcher.pending),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies, default=float("nan")),
        "send_seconds": send_seconds,
        "paid_per_second": len(watcher.paid_at) / max(last_paid - first_sent, 1e-6),
        "http_statuses": statuses,
    }


# --- invariants ---------------------------------------------------------------


def paid_invariants(db_url: str, order_ids: list[int] | None = None) -> dict:
    """Exactly one paid transition per order: one 'order_paid' event, one captured
    payment, no refund flag. Over `order_ids`, and over the whole database."""
    with connect(db_url) as conn:
        whole = conn.execute(
            """
            SELECT count(*) FROM (
              SELECT order_id FROM payment_events WHERE outcome = 'order_paid'
              GROUP BY order_id HAVING count(*) > 1) d
            """
        ).fetchone()[0]
        result = {"orders_with_two_paid_events_anywhere": whole}
        if order_ids:
            row = conn.execute(
                """
                SELECT count(*) FILTER (WHERE o.status = 'paid'),
                  count(*) FILTER (WHERE ev.n <> 1 OR ev.n IS NULL),
                  count(*) FILTER (WHERE pay.n <> 1 OR pay.n IS NULL),
                  count(*) FILTER (WHERE o.needs_refund),
                  count(*) FILTER (WHERE mail.n > 1)
                FROM orders o
                LEFT JOIN (SELECT order_id, count(*) n FROM payment_events
                           WHERE outcome = 'order_paid' GROUP BY order_id) ev
                  ON ev.order_id = o.id
                LEFT JOIN (SELECT order_id, count(*) n FROM payments
                           WHERE status = 'captured' GROUP BY order_id) pay
                  ON pay.order_id = o.id
                LEFT JOIN (SELECT payload->>'dedupe_key' k, count(*) n
                           FROM outbox_events WHERE topic = 'email.send'
                           GROUP BY 1) mail
                  ON mail.k = 'receipt-order-' || o.id
                WHERE o.id = ANY(%s)
                """,
                (order_ids,),
            ).fetchone()
            result.update(
                orders=len(order_ids),
                paid=row[0],
                not_exactly_one_paid_event=row[1],
                not_exactly_one_captured_payment=row[2],
                flagged_for_refund=row[3],
                receipt_queued_twice=row[4],
            )
    result["ok"] = (
        result["orders_with_two_paid_events_anywhere"] == 0
        and result.get("not_exactly_one_paid_event", 0) == 0
        and result.get("not_exactly_one_captured_payment", 0) == 0
        and result.get("flagged_for_refund", 0) == 0
        and result.get("receipt_queued_twice", 0) == 0
        and result.get("paid", 0) == result.get("orders", 0)
    )
    return result


# --- worker throughput ---------------------------------------------------------


def job_span(redis_client, job_ids: list[str]) -> dict:
    """Rate from RQ's own timestamps: first job started -> last job ended."""
    from rq.job import Job

    jobs = Job.fetch_many(job_ids, connection=redis_client)
    done = [j for j in jobs if j is not None and j.ended_at and j.started_at]
    failed = [j for j in jobs if j is not None and j.get_status() == "failed"]
    if not done:
        return {"jobs": len(job_ids), "finished": 0, "failed": len(failed), "rate": 0}
    start = min(j.started_at for j in done)
    end = max(j.ended_at for j in done)
    seconds = (end - start).total_seconds()
    return {
        "jobs": len(job_ids),
        "finished": len(done),
        "failed": len(failed),
        "seconds": seconds,
        "rate": len(done) / seconds if seconds > 0 else float("nan"),
        "mean_job_ms": statistics.mean(
            (j.ended_at - j.started_at).total_seconds() * 1000 for j in done
        ),
    }

"""The ceiling of figure 5: a payment success finalised by hand, in a loop.

For each payment already COMPLETE at the eSewa sandbox: the status check over
HTTP with plain `requests` (the same URL and parameters the gateway adapter
uses), then, in one psycopg transaction, the SQL a payment success must do:
capture the payment and pay the order (both conditional), grant the course,
write the audit row, complete the outbox event and book the receipt email. No
ORM, no Flask, no RQ: what the job could cost at best.
"""

from __future__ import annotations

import json
import time

import requests

from bench.data import connect


def finalise(db_url: str, status_url: str, product_code: str, payable: list[dict]):
    """Finalise `payable` (from `data.payable_orders`) one after another; returns
    {"jobs", "finished", "seconds", "rate", "mean_job_ms"}."""
    http = requests.Session()
    done = 0
    started = time.perf_counter()
    with connect(db_url) as conn:
        conn.autocommit = False
        for p in payable:
            whole, frac = divmod(p["amount"], 100)
            resp = http.get(
                status_url,
                params={
                    "product_code": product_code,
                    "total_amount": f"{whole}.{frac:02d}",
                    "transaction_uuid": p["uuid"],
                },
                timeout=10,
            )
            if resp.json().get("status") != "COMPLETE":
                continue
            cur = conn.execute(
                "UPDATE payments SET status = 'captured', verified = true, "
                "captured_amount = amount, completed_at = localtimestamp, "
                "next_verify_at = NULL, updated_at = localtimestamp "
                "WHERE id = %s AND status = 'pending' RETURNING order_id",
                (p["payment_id"],),
            )
            if cur.fetchone() is None:
                conn.rollback()
                continue
            row = conn.execute(
                "UPDATE orders SET status = 'paid', paid_at = localtimestamp, "
                "updated_at = localtimestamp WHERE id = %s "
                "AND status = 'payment_pending' RETURNING user_id",
                (p["order_id"],),
            ).fetchone()
            conn.execute(
                "INSERT INTO product_access (user_id, product_id, order_id, "
                "access_type, created_at, updated_at) SELECT %s, product_id, "
                "order_id, 'lifetime', localtimestamp, localtimestamp "
                "FROM order_items WHERE order_id = %s "
                "ON CONFLICT (user_id, product_id) DO UPDATE SET "
                "order_id = EXCLUDED.order_id, updated_at = localtimestamp",
                (row[0], p["order_id"]),
            )
            conn.execute(
                "INSERT INTO payment_events (payment_id, order_id, gateway, kind, "
                "outcome, detail, body, created_at) VALUES (%s, %s, 'esewa', "
                "'note', 'order_paid', '', '', localtimestamp)",
                (p["payment_id"], p["order_id"]),
            )
            conn.execute(
                "UPDATE outbox_events SET status = 'completed', attempts = 1, "
                "processed_at = localtimestamp, updated_at = localtimestamp "
                "WHERE id = %s AND status = 'pending'",
                (p["event_id"],),
            )
            conn.execute(
                "INSERT INTO outbox_events (topic, payload, dedupe_key, status, "
                "attempts, available_at, last_error, created_at, updated_at) "
                "VALUES ('email.send', %s, %s, 'completed', 0, localtimestamp, '', "
                "localtimestamp, localtimestamp) ON CONFLICT (dedupe_key) DO NOTHING",
                (
                    json.dumps({"order_id": p["order_id"]}),
                    f"bench-receipt-{p['order_id']}",
                ),
            )
            conn.commit()
            done += 1
    seconds = time.perf_counter() - started
    return {
        "jobs": len(payable),
        "finished": done,
        "seconds": seconds,
        "rate": done / seconds if seconds > 0 else float("nan"),
        "mean_job_ms": seconds * 1000 / max(done, 1),
    }

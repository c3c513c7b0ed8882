"""Issue #14: the payment service (seed 002) as merchants use it.

A payment-service order whose `order_meta.notify_url` points at a listener on
127.0.0.1 gets one signed PAYMENT_SUCCESS_WEBHOOK once the payment completes in
the payment-session sandbox, verifiable with the merchant's API key; deliveries
are retried with backoff until a 2xx and logged for the merchant (GetOrder)
and admins. Also: `payment_methods` in the seed's words, the merchant's
customer id, settlements per day, refunds one by one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from sqlalchemy import select

from app.orders.models import Order
from app.payments.refunds import refund_order
from app.rpc.models import MerchantNotification
from tests.conftest import free_port
from tests.rpc.conftest import SERVICE, checkout, order_request

PAYSESSION_SECRET = "cfsk_demo_secret"


class Listener:
    """A merchant's webhook endpoint on 127.0.0.1: records every request and
    answers with the next status of `answers` (then 200)."""

    def __init__(self, answers=()):
        self.requests: list[tuple[dict, bytes]] = []
        self.answers = list(answers)
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                listener.requests.append((headers, body))
                status = listener.answers.pop(0) if listener.answers else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"not now")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/payments"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    made = []

    def make(answers=()):
        made.append(Listener(answers))
        return made[-1]

    yield make
    for one in made:
        one.close()


def verifies(key: str, headers: dict, body: bytes) -> bool:
    """What the merchant does: the payment-session gateway's own check."""
    message = headers["x-webhook-timestamp"].encode() + body
    expected = base64.b64encode(
        hmac.new(key.encode(), message, hashlib.sha256).digest()
    ).decode()
    return hmac.compare_digest(expected, headers["x-webhook-signature"])


def _pay(rpc, live_url, jobs, outcome="success", **fields):
    data = rpc.create(**fields)
    requests.get(checkout(live_url, data["payment_session_id"], outcome), timeout=10)
    jobs.run()
    return data


def test_one_signed_success_webhook_after_the_payment(
    rpc, merchant, live_url, jobs, db, listener
):
    hook = listener()
    data = _pay(rpc, live_url, jobs, order_meta={"notify_url": hook.url})
    db.session.rollback()
    order = db.session.scalar(select(Order).where(Order.public_id == data["order_id"]))
    assert order.status == "paid"
    assert len(hook.requests) == 1
    headers, body = hook.requests[0]
    assert verifies(merchant[0], headers, body)
    assert not verifies("mk_someone_else", headers, body)
    assert headers["content-type"] == "application/json"
    assert headers["x-webhook-timestamp"].isdigit()
    assert headers["x-webhook-attempt"] == "1"
    sent = json.loads(body)
    assert list(sent) == ["type", "data"] and list(sent["data"]) == ["order", "payment"]
    assert sent["type"] == "PAYMENT_SUCCESS_WEBHOOK"
    assert sent["data"]["order"]["order_id"] == data["order_id"]
    assert sent["data"]["order"]["order_status"] == "paid"
    assert sent["data"]["order"]["order_meta"]["notify_url"] == hook.url
    assert sent["data"]["payment"]["payment_status"] == "paid"
    assert sent["data"]["payment"]["payment_amount"] == 299.99
    assert sent["data"]["payment"]["is_captured"] is True
    # Nothing more is sent, however often the worker runs or the merchant asks.
    assert rpc.verify(data["order_id"]).get_json()["status"] == "success"
    jobs.run()
    jobs.run_scheduled()
    assert len(hook.requests) == 1
    # The merchant sees the delivery log in GetOrder.
    got = rpc.call("GetOrder", {"order_id": data["order_id"]}).get_json()
    (note,) = got["notifications"]
    assert note["type"] == "PAYMENT_SUCCESS_WEBHOOK" and note["status"] == "delivered"
    assert [d["status_code"] for d in note["deliveries"]] == [200]


def test_deliveries_are_retried_with_backoff_until_a_2xx(
    app, rpc, merchant, live_url, jobs, db, listener, factory
):
    hook = listener(answers=[500, 302])
    data = _pay(rpc, live_url, jobs, notify_url=hook.url)
    assert len(hook.requests) == 1
    db.session.rollback()
    notification = db.session.scalar(select(MerchantNotification))
    assert notification.status == "pending" and notification.attempts == 1
    assert notification.next_attempt_at is not None  # booked, not sent at once
    jobs.run_scheduled(rounds=1)  # the second try: a redirect is not an answer
    jobs.run_scheduled(rounds=1)  # the third: 200
    assert [h["x-webhook-attempt"] for h, _ in hook.requests] == ["1", "2", "3"]
    bodies = {body for _, body in hook.requests}
    assert len(bodies) == 1  # the same bytes every time, signed afresh
    assert all(verifies(merchant[0], h, b) for h, b in hook.requests)
    got = rpc.call("GetOrder", {"order_id": data["order_id"]}).get_json()
    (note,) = got["notifications"]
    assert note["status"] == "delivered" and note["attempts"] == 3
    assert [d["status_code"] for d in note["deliveries"]] == [500, 302, 200]
    # Admins see it too.
    admin = factory.user(email="admin@example.com", role="admin")
    client = app.test_client()
    client.post("/login", data={"email": admin.email, "password": "secret-pass-1"})
    page = client.get("/admin/merchant_notifications/").get_data(as_text=True)
    assert hook.url in page and "delivered" in page


def test_a_failed_payment_is_reported_as_failed(
    rpc, merchant, live_url, jobs, db, listener
):
    hook = listener()
    data = _pay(rpc, live_url, jobs, "failed", notify_url=hook.url)
    db.session.rollback()
    order = db.session.scalar(select(Order).where(Order.public_id == data["order_id"]))
    assert order.status == "failed"
    (headers, body) = hook.requests[0]
    assert verifies(merchant[0], headers, body)
    assert json.loads(body)["type"] == "PAYMENT_FAILED_WEBHOOK"
    assert json.loads(body)["data"]["payment"]["payment_status"] == "failed"


def test_an_exhausted_webhook_can_be_sent_again(app, rpc, live_url, jobs, db, listener):
    app.config["MERCHANT_WEBHOOK_BACKOFF"] = [1]
    try:
        hook = listener(answers=[503, 503])
        _pay(rpc, live_url, jobs, notify_url=hook.url)
        jobs.run_scheduled(rounds=1)
        db.session.rollback()
        notification = db.session.scalar(select(MerchantNotification))
        assert (notification.status, notification.attempts) == ("exhausted", 2)
        from app.rpc.notifications import resend

        assert resend(notification.id)
        db.session.commit()
        jobs.run()
        db.session.rollback()
        assert db.session.get(MerchantNotification, notification.id).status == (
            "delivered"
        )
        assert len(hook.requests) == 3
    finally:
        app.config["MERCHANT_WEBHOOK_BACKOFF"] = [120, 600, 1800, 7200, 43200]


def test_loopback_notify_url_only_outside_production(app, rpc):
    body = order_request(notify_url="http://127.0.0.1:9/hooks")
    assert rpc.call("CreateOrder", body).status_code == 200
    app.config["APP_ENV"] = "production"
    try:
        for url in (
            "http://127.0.0.1:9/hooks",
            "https://127.0.0.1/hooks",
            "https://localhost/hooks",
            "https://10.0.0.7/hooks",
            "http://merchant.example.com/hooks",
        ):
            resp = rpc.call("CreateOrder", order_request(notify_url=url))
            assert resp.status_code == 400, url
            assert "notify_url" in resp.get_data(as_text=True)
        ok = rpc.call(
            "CreateOrder", order_request(notify_url="https://merchant.example.com/h")
        )
        assert ok.status_code == 200
    finally:
        app.config["APP_ENV"] = "testing"


def test_payment_methods_in_the_seeds_words_reach_the_gateway(rpc, live_url, db):
    data = rpc.create(order_meta={"payment_methods": "card,upi"})
    db.session.rollback()
    order = db.session.scalar(select(Order).where(Order.public_id == data["order_id"]))
    payment = order.payments[0]
    at_gateway = requests.get(
        f"{live_url}/_sandbox/paysession/pg/orders/{payment.gateway_txn_id}",
        headers={
            "x-client-id": "cf_test_client",
            "x-client-secret": PAYSESSION_SECRET,
            "x-api-version": "2023-08-01",
        },
        timeout=10,
    ).json()
    assert at_gateway["order_meta"]["payment_methods"] == "cc,dc,upi"
    got = rpc.get(f"{SERVICE}/orders/{data['order_id']}").get_json()
    assert got["order_meta"]["payment_methods"] == "card,upi"
    page = requests.get(
        f"{live_url}/_sandbox/paysession/checkout/{data['payment_session_id']}",
        timeout=10,
    ).text
    assert "Credit card" in page and "Net banking" not in page
    bad = rpc.call("CreateOrder", order_request(payment_methods="card,cheque"))
    assert bad.status_code == 400 and "cheque" in bad.get_data(as_text=True)


def test_customer_id_is_the_merchants(rpc):
    number = rpc.create(customer_id=48213)
    got = rpc.call("GetOrder", {"order_id": number["order_id"]}).get_json()
    assert got["customer_details"]["customer_id"] == 48213
    text = rpc.create(customer_details={"customer_id": "cust_42"})
    got = rpc.call("GetOrder", {"order_id": text["order_id"]}).get_json()
    assert got["customer_details"]["customer_id"] == "cust_42"
    for bad in (-1, 2**32, "has space", True):
        resp = rpc.call("CreateOrder", order_request(customer_id=bad))
        assert resp.status_code == 400, bad


def test_settlements_list_captured_refunded_and_due_per_day(rpc, live_url, jobs, db):
    data = _pay(rpc, live_url, jobs)
    db.session.rollback()
    order = db.session.scalar(select(Order).where(Order.public_id == data["order_id"]))
    assert refund_order(order.id, "merchant asked", amount=9999) == "refunded"
    db.session.commit()
    refunds = rpc.get(f"{SERVICE}/orders/{data['order_id']}/refunds").get_json()
    assert [(r["refund_amount"], r["refund_status"]) for r in refunds] == [
        (99.99, "SUCCESS")
    ]
    (day,) = rpc.get(f"{SERVICE}/orders/{data['order_id']}/settlements").get_json()
    assert day["captured_amount"] == 299.99
    assert day["refunded_amount"] == 99.99
    assert day["settlement_amount"] == 200.0
    everything = rpc.get(f"{SERVICE}/settlements").get_json()
    assert everything == [day]
    assert rpc.get(f"{SERVICE}/settlements?from=2026-13-01").status_code == 400

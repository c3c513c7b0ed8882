"""The payment-session simulator speaks the protocol in gateways.md section 3.

The API is called over real HTTP with `requests`; webhooks go to a small WSGI
receiver on loopback and are verified with an HMAC written here, independent of
the simulator's signer, so a mistake in one cannot cancel out in the other.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import requests
from rq import Queue
from werkzeug.serving import make_server

from app.sandbox import paysession
from app.sandbox.paysession import store as paysession_store
from app.sandbox.paysession import wire

SECRET = "cfsk_demo_secret"
HEADERS = {
    "x-client-id": "cf_test_client",
    "x-client-secret": SECRET,
    "x-api-version": "2023-08-01",
    "content-type": "application/json",
}
PREFIX = "/_sandbox/paysession"
RETURN_URL = "https://shop.example.com/pay/return?order_id={order_id}"
VECTOR_BODY = (
    '{"data":{"order":{"order_id":"ORDER-42","order_amount":170.00,'
    '"order_currency":"INR","order_tags":null},"payment":{"cf_payment_id":'
    '"5114910000001","payment_status":"SUCCESS","payment_amount":170.00,'
    '"payment_currency":"INR","payment_message":"Transaction success",'
    '"payment_time":"2024-01-01T12:00:00+05:30","bank_reference":"1234567890",'
    '"auth_id":null,"payment_method":{"upi":{"channel":"collect","upi_id":'
    '"testsuccess@gocash"}},"payment_group":"upi"},"customer_details":'
    '{"customer_name":null,"customer_id":"cust_1","customer_email":'
    '"a@example.com","customer_phone":"9999999999"}},"event_time":'
    '"2024-01-01T12:00:05+05:30","type":"PAYMENT_SUCCESS_WEBHOOK"}'
)
VECTOR_SIGNATURE = "ui8s9I1nwx3Ju5oT0wpleiV28PX7AjbRjV9HnIOPSAw="


def expected_signature(timestamp: str, body: bytes, secret: str = SECRET) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


class Receiver:
    """A merchant webhook endpoint: records raw requests, answers set statuses."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/paysession"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        headers["content-type"] = environ.get("CONTENT_TYPE", "")
        self.calls.append((headers, body))
        status = self.statuses.pop(0) if self.statuses else 200
        start_response(f"{status} Status", [("Content-Type", "text/plain")])
        return [b"ok"]


@pytest.fixture
def receiver():
    server = Receiver()
    server.thread.start()
    yield server
    server.server.shutdown()


@pytest.fixture
def api(app, live_url):
    """Calls the sandbox API over real HTTP, as the merchant adapter does."""

    def call(method: str, path: str, body=None, headers=None, timeout=10.0):
        return requests.request(
            method,
            f"{live_url}{PREFIX}/pg{path}",
            json=body,
            headers=headers if headers is not None else HEADERS,
            timeout=timeout,
        )

    return call


def order_body(**overrides) -> dict:
    body = {
        "order_id": "ORDER-42",
        "order_amount": 170.00,
        "order_currency": "INR",
        "customer_details": {
            "customer_id": "cust_1",
            "customer_phone": "9999999999",
            "customer_email": "a@example.com",
            "customer_name": "Asha Rao",
        },
        "order_meta": {"return_url": RETURN_URL},
        "order_note": "two tickets",
        "order_tags": {"shop_order": "42"},
    }
    body.update(overrides)
    return body


def create(api, **overrides) -> dict:
    response = api("POST", "/orders", order_body(**overrides))
    assert response.status_code == 200, response.text
    return response.json()


def complete(client, order: dict, outcome: str):
    session = order["payment_session_id"]
    return client.post(
        f"{PREFIX}/checkout/{session}/complete", data={"outcome": outcome}
    )


def assert_error(response, status: int, code: str | None = None, kind=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message", "code", "type"}
    if code is not None:
        assert body["code"] == code
    assert body["type"] == (kind or "invalid_request_error")


# --- signature --------------------------------------------------------------


def test_signature_matches_the_published_vector():
    assert len(VECTOR_BODY.encode()) == 654
    assert expected_signature("1704090605000", VECTOR_BODY.encode()) == (
        VECTOR_SIGNATURE
    )
    signed = wire.sign(SECRET, "1704090605000", VECTOR_BODY)
    assert signed == VECTOR_SIGNATURE
    assert wire.verify(SECRET, "1704090605000", VECTOR_BODY, signed)
    assert not wire.verify(SECRET, "1704090605001", VECTOR_BODY, VECTOR_SIGNATURE)


def test_serializer_reproduces_the_vector_bytes_with_decimal_amounts():
    parsed = json.loads(VECTOR_BODY, parse_float=Decimal)
    assert wire.dumps(parsed) == VECTOR_BODY


# --- orders API -------------------------------------------------------------


def test_create_order_answers_an_order_entity(api):
    response = api("POST", "/orders", order_body())
    assert response.status_code == 200, response.text
    assert '"order_amount":170.00' in response.text
    order = response.json()
    assert order["order_id"] == "ORDER-42"
    assert order["entity"] == "order"
    assert re.fullmatch(r"\d+", order["cf_order_id"])
    assert order["order_status"] == "ACTIVE"
    assert order["order_amount"] == 170
    assert order["order_currency"] == "INR"
    assert order["payment_session_id"].startswith("session_")
    assert len(order["payment_session_id"]) > 40
    assert order["created_at"].endswith("+05:30")
    assert order["order_expiry_time"].endswith("+05:30")
    created = dt.datetime.fromisoformat(order["created_at"])
    expiry = dt.datetime.fromisoformat(order["order_expiry_time"])
    assert dt.timedelta(days=29) < expiry - created <= dt.timedelta(days=30)
    assert order["order_splits"] == []
    assert order["customer_details"] == {
        "customer_id": "cust_1",
        "customer_name": "Asha Rao",
        "customer_email": "a@example.com",
        "customer_phone": "9999999999",
        "customer_uid": None,
    }
    assert order["order_meta"] == {
        "return_url": RETURN_URL,
        "notify_url": None,
        "payment_methods": None,
    }
    assert order["order_tags"] == {"shop_order": "42"}
    assert order["order_note"] == "two tickets"
    assert order["cart_details"] is None and order["terminal_data"] is None

    fetched = api("GET", "/orders/ORDER-42")
    assert fetched.status_code == 200
    assert fetched.json() == order


def test_order_id_is_generated_when_absent(api):
    body = order_body()
    del body["order_id"]
    order = api("POST", "/orders", body).json()
    assert re.fullmatch(r"order_[A-Za-z0-9]+", order["order_id"])
    assert api("GET", f"/orders/{order['order_id']}").status_code == 200


@pytest.mark.parametrize("currency", ["NPR", "JPY", "USD"])
def test_other_currencies_are_accepted(api, currency):
    order = create(api, order_currency=currency, order_amount=1500)
    assert order["order_currency"] == currency


def test_naive_expiry_is_read_as_ist(api):
    order = create(api, order_expiry_time="2099-07-02T10:20:12")
    assert order["order_expiry_time"] == "2099-07-02T10:20:12+05:30"


def without_customer() -> dict:
    body = order_body()
    del body["customer_details"]
    return body


def with_customer(**fields) -> dict:
    body = order_body()
    body["customer_details"] = {**body["customer_details"], **fields}
    return body


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (order_body(order_amount=0.99), "order_amount_invalid"),
        (order_body(order_amount=0), "order_amount_invalid"),
        (order_body(order_amount=10.155), "order_amount_invalid"),
        (order_body(order_amount="170.00"), "order_amount_invalid"),
        (order_body(order_amount=None), "order_amount_missing"),
        (order_body(order_currency=None), "order_currency_missing"),
        (order_body(order_currency="RUPEE"), "order_currency_invalid"),
        (order_body(order_currency="in"), "order_currency_invalid"),
        (with_customer(customer_phone="12345"), "customer_phone_invalid"),
        (with_customer(customer_phone="99999abcde"), "customer_phone_invalid"),
        (with_customer(customer_phone="99999999999"), "customer_phone_invalid"),
        (with_customer(customer_phone=None), "customer_phone_missing"),
        (with_customer(customer_id="c"), "customer_id_invalid"),
        (with_customer(customer_id="cust 1"), "customer_id_invalid"),
        (without_customer(), "customer_details_missing"),
        (order_body(customer_details="cust_1"), "customer_details_invalid"),
        (order_body(order_id="bad id!"), "order_id_invalid"),
        (order_body(order_id="ab"), "order_id_invalid"),
        (order_body(order_id="x" * 46), "order_id_invalid"),
        (order_body(order_expiry_time="next week"), "order_expiry_time_invalid"),
        (
            order_body(order_expiry_time="9999-12-31T23:59:59-12:00"),
            "order_expiry_time_invalid",
        ),
        (order_body(order_meta={"return_url": "ftp://x"}), "return_url_invalid"),
        (order_body(order_tags={"a": 5}), "a_invalid"),
        (order_body(order_note="x"), "order_note_invalid"),
    ],
)
def test_invalid_create_requests_are_refused(api, body, code):
    assert_error(api("POST", "/orders", body), 400, code)


def test_non_json_body_is_refused(api, live_url):
    response = requests.post(
        f"{live_url}{PREFIX}/pg/orders", data="not json", headers=HEADERS, timeout=10
    )
    assert_error(response, 400, "request_invalid")


def test_duplicate_order_id_is_a_conflict(api):
    create(api)
    response = api("POST", "/orders", order_body())
    assert response.status_code == 409
    assert response.json() == {
        "message": "order with same id is already present",
        "code": "order_already_exists",
        "type": "invalid_request_error",
    }


@pytest.mark.parametrize(
    "headers",
    [
        {**HEADERS, "x-client-secret": "wrong"},
        {**HEADERS, "x-client-id": "someone_else"},
        {k: v for k, v in HEADERS.items() if k != "x-client-secret"},
    ],
)
def test_bad_credentials_are_refused(api, headers):
    response = api("POST", "/orders", order_body(), headers=headers)
    assert_error(response, 401, kind="authentication_error")
    assert response.json()["code"] in ("request_failed", "authentication_failed")


def test_missing_or_unknown_api_version_is_refused(api):
    headers = {k: v for k, v in HEADERS.items() if k != "x-api-version"}
    assert_error(api("GET", "/orders/ORDER-42", headers=headers), 400)
    headers["x-api-version"] = "2022-01-01"
    assert_error(api("GET", "/orders/ORDER-42", headers=headers), 400)


def test_unknown_order_is_not_found(api):
    response = api("GET", "/orders/NOPE-1")
    assert response.status_code == 404
    assert response.json() == {
        "message": "order not found",
        "code": "order_not_found",
        "type": "invalid_request_error",
    }
    assert api("GET", "/orders/NOPE-1/payments").status_code == 404


# --- hosted checkout --------------------------------------------------------


def test_checkout_page_shows_the_order_and_the_three_buttons(api, client):
    order = create(api)
    page = client.get(f"{PREFIX}/checkout/{order['payment_session_id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ORDER-42" in html and "INR 170.00" in html
    for name in ("success", "failed", "dropped"):
        assert f'id="paysession-{name}"' in html
        assert f'value="{name}"' in html


def test_unknown_session_is_a_404_page(client):
    page = client.get(f"{PREFIX}/checkout/session_nope")
    assert page.status_code == 404
    assert "text/html" in page.content_type
    response = client.post(
        f"{PREFIX}/checkout/session_nope/complete", data={"outcome": "success"}
    )
    assert response.status_code == 404


def test_success_pays_the_order_and_redirects_to_return_url(api, client):
    order = create(api)
    response = complete(client, order, "success")
    assert response.status_code == 302
    assert response.headers["Location"] == (
        "https://shop.example.com/pay/return?order_id=ORDER-42"
    )
    assert api("GET", "/orders/ORDER-42").json()["order_status"] == "PAID"

    payments = api("GET", "/orders/ORDER-42/payments").json()
    assert len(payments) == 1
    payment = payments[0]
    assert re.fullmatch(r"\d+", payment["cf_payment_id"])
    assert payment["order_id"] == "ORDER-42"
    assert payment["entity"] == "payment"
    assert payment["payment_status"] == "SUCCESS"
    assert payment["payment_amount"] == 170 and payment["order_amount"] == 170
    assert payment["payment_currency"] == "INR"
    assert payment["payment_group"] == "upi"
    assert payment["payment_method"] == {
        "upi": {"channel": "collect", "upi_id": "testsuccess@gocash"}
    }
    assert payment["bank_reference"]
    assert payment["is_captured"] is True
    assert payment["error_details"] is None
    assert payment["auth_id"] is None and payment["authorization"] is None
    assert payment["payment_time"].endswith("+05:30")
    assert payment["payment_completion_time"].endswith("+05:30")

    one = api("GET", f"/orders/ORDER-42/payments/{payment['cf_payment_id']}")
    assert one.json() == payment
    assert_error(api("GET", "/orders/ORDER-42/payments/1"), 404, "payment_not_found")


def test_paid_order_refuses_a_second_checkout(api, client):
    order = create(api)
    complete(client, order, "success")
    page = client.get(f"{PREFIX}/checkout/{order['payment_session_id']}")
    assert page.status_code == 409
    assert complete(client, order, "success").status_code == 409
    assert len(api("GET", "/orders/ORDER-42/payments").json()) == 1


def test_concurrent_successes_pay_the_order_once(api, live_url):
    order = create(api)
    url = f"{live_url}{PREFIX}/checkout/{order['payment_session_id']}/complete"
    statuses: list[int] = []

    def pay() -> None:
        response = requests.post(
            url, data={"outcome": "success"}, allow_redirects=False, timeout=10
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=pay) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302] + [409] * 5
    assert len(api("GET", "/orders/ORDER-42/payments").json()) == 1


def test_failed_and_dropped_attempts_keep_the_order_open(api, client):
    order = create(api)
    assert complete(client, order, "failed").status_code == 302
    assert complete(client, order, "dropped").status_code == 302
    assert api("GET", "/orders/ORDER-42").json()["order_status"] == "ACTIVE"
    assert complete(client, order, "success").status_code == 302

    payments = api("GET", "/orders/ORDER-42/payments").json()
    statuses = [p["payment_status"] for p in payments]
    assert statuses == ["FAILED", "USER_DROPPED", "SUCCESS"]
    assert len({p["cf_payment_id"] for p in payments}) == 3
    failed, dropped, _ = payments
    assert failed["error_details"]["error_code"] == "TRANSACTION_DECLINED"
    assert failed["error_details"]["error_source"] == "customer"
    assert failed["error_details"]["error_description"]
    assert failed["error_details"]["error_reason"]
    assert dropped["error_details"]["error_reason"] == "user_dropped"
    assert failed["is_captured"] is False and failed["bank_reference"] is None
    assert api("GET", "/orders/ORDER-42").json()["order_status"] == "PAID"


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [
        ("/{order_id}", "/X-1"),
        ("/%7Border_id%7D", "/X-1"),
        ("", "?order_id=X-1"),
        ("?a=1", "?a=1&order_id=X-1"),
        ("?order_id=mine", "?order_id=mine"),
    ],
)
def test_return_url_gets_the_order_id(api, client, suffix, expected):
    base = "https://shop.example.com/r"
    order = create(api, order_id="X-1", order_meta={"return_url": base + suffix})
    location = complete(client, order, "dropped").headers["Location"]
    assert location == base + expected


def test_without_return_url_a_result_page_is_shown(api, client):
    order = create(api, order_meta=None)
    page = complete(client, order, "success")
    assert page.status_code == 200
    assert "ORDER-42" in page.get_data(as_text=True)


def test_unknown_outcome_is_refused(api, client):
    order = create(api)
    assert complete(client, order, "maybe").status_code == 400
    assert api("GET", "/orders/ORDER-42/payments").json() == []


# --- webhooks ---------------------------------------------------------------


def notify_meta(receiver) -> dict:
    return {"return_url": RETURN_URL, "notify_url": receiver.url}


def test_success_webhook_is_signed_over_the_raw_body(api, client, jobs, receiver):
    order = create(api, order_meta=notify_meta(receiver))
    complete(client, order, "success")
    assert receiver.calls == []  # delivered by the worker, not the request
    jobs.run()

    assert len(receiver.calls) == 1
    headers, body = receiver.calls[0]
    assert headers["content-type"] == "application/json"
    assert headers["x-webhook-version"] == "2023-08-01"
    assert headers["x-webhook-attempt"] == "1"
    timestamp = headers["x-webhook-timestamp"]
    assert re.fullmatch(r"\d{13}", timestamp)
    assert abs(int(timestamp) / 1000 - time.time()) < 60
    assert headers["x-webhook-signature"] == expected_signature(timestamp, body)

    text = body.decode()
    assert '"order_amount":170.00' in text
    assert '"payment_amount":170.00' in text
    event = json.loads(body)
    assert event["type"] == "PAYMENT_SUCCESS_WEBHOOK"
    assert event["event_time"].endswith("+05:30")
    data = event["data"]
    assert data["order"] == {
        "order_id": "ORDER-42",
        "order_amount": 170,
        "order_currency": "INR",
        "order_tags": {"shop_order": "42"},
    }
    payment = api("GET", "/orders/ORDER-42/payments").json()[0]
    assert data["payment"]["cf_payment_id"] == payment["cf_payment_id"]
    assert data["payment"]["payment_status"] == "SUCCESS"
    assert data["payment"]["bank_reference"] == payment["bank_reference"]
    assert data["payment"]["payment_group"] == "upi"
    assert data["customer_details"]["customer_id"] == "cust_1"
    assert data["customer_details"]["customer_phone"] == "9999999999"
    assert data["payment_gateway_details"]["gateway_order_id"] == order["cf_order_id"]
    assert "error_details" not in data

    # Re-serializing the parsed body loses the decimals and the signature.
    resent = json.dumps(event, separators=(",", ":")).encode()
    assert expected_signature(timestamp, resent) != headers["x-webhook-signature"]


@pytest.mark.parametrize(
    ("outcome", "event_type", "reason"),
    [
        ("failed", "PAYMENT_FAILED_WEBHOOK", "auth_declined"),
        ("dropped", "PAYMENT_USER_DROPPED_WEBHOOK", "user_dropped"),
    ],
)
def test_failed_and_dropped_webhooks_carry_error_details(
    api, client, jobs, receiver, outcome, event_type, reason
):
    order = create(api, order_meta=notify_meta(receiver))
    complete(client, order, outcome)
    jobs.run()
    headers, body = receiver.calls[0]
    assert headers["x-webhook-signature"] == expected_signature(
        headers["x-webhook-timestamp"], body
    )
    event = json.loads(body)
    assert event["type"] == event_type
    assert event["data"]["payment"]["payment_status"] in ("FAILED", "USER_DROPPED")
    assert event["data"]["payment"]["bank_reference"] is None
    assert event["data"]["error_details"]["error_reason"] == reason
    assert event["data"]["error_details"]["error_source"] == "customer"


def test_no_notify_url_means_no_webhook_job(api, client, redis_client):
    order = create(api)
    complete(client, order, "success")
    assert Queue("sandbox", connection=redis_client).count == 0


def test_non_2xx_answer_is_retried_with_the_next_attempt_number(
    api, client, jobs, receiver, live_url
):
    receiver.statuses = [500, 302]
    order = create(api, order_meta=notify_meta(receiver))
    complete(client, order, "success")
    jobs.run()
    assert len(receiver.calls) == 1
    assert jobs.scheduled("sandbox")  # the retry waits in RQ's scheduler

    jobs.run_scheduled()
    attempts = [h["x-webhook-attempt"] for h, _ in receiver.calls]
    assert attempts == ["1", "2", "3"]
    first, _, last = receiver.calls
    assert first[1] == last[1]  # the same bytes on every attempt
    for headers, body in receiver.calls:
        assert headers["x-webhook-signature"] == expected_signature(
            headers["x-webhook-timestamp"], body
        )

    page = requests.get(f"{live_url}{PREFIX}/", timeout=10).text
    assert "PAYMENT_SUCCESS_WEBHOOK: delivered after 3 attempt(s)" in page


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhooks/paysession"


def test_unreachable_receiver_is_retried_three_times_then_given_up(api, client, jobs):
    order = create(api, order_meta={"notify_url": closed_port_url()})
    complete(client, order, "success")
    jobs.run()
    jobs.run_scheduled()
    stored = paysession_store.get_order("ORDER-42")
    delivery_id = stored["payments"][0]["delivery_id"]
    record = paysession_store.load(paysession_store.delivery_key(delivery_id))
    assert [a["n"] for a in record["attempts"]] == [1, 2, 3, 4]
    assert all(a["error"] == "ConnectionError" for a in record["attempts"])
    assert record["state"] == "failed"
    assert api("GET", "/orders/ORDER-42").json()["order_status"] == "PAID"


# --- expiry, termination, refunds -----------------------------------------


def test_expired_order_reads_expired_and_refuses_checkout(api, client):
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    order = create(api, order_expiry_time=past)
    assert order["order_status"] == "EXPIRED"
    assert api("GET", "/orders/ORDER-42").json()["order_status"] == "EXPIRED"
    page = client.get(f"{PREFIX}/checkout/{order['payment_session_id']}")
    assert page.status_code == 409
    assert complete(client, order, "success").status_code == 409
    assert_error(api("PATCH", "/orders/ORDER-42", {"order_status": "TERMINATED"}), 409)


def test_terminate_an_active_order(api, client):
    order = create(api)
    assert_error(api("PATCH", "/orders/ORDER-42", {"order_status": "PAID"}), 400)
    response = api("PATCH", "/orders/ORDER-42", {"order_status": "TERMINATED"})
    assert response.status_code == 200
    assert response.json()["order_status"] == "TERMINATED"
    assert api("GET", "/orders/ORDER-42").json()["order_status"] == "TERMINATED"
    page = client.get(f"{PREFIX}/checkout/{order['payment_session_id']}")
    assert page.status_code == 409
    again = api("PATCH", "/orders/ORDER-42", {"order_status": "TERMINATED"})
    assert_error(again, 409, "order_not_active")
    missing = api("PATCH", "/orders/NOPE-1", {"order_status": "TERMINATED"})
    assert_error(missing, 404, "order_not_found")


def test_paid_order_cannot_be_terminated(api, client):
    order = create(api)
    complete(client, order, "success")
    response = api("PATCH", "/orders/ORDER-42", {"order_status": "TERMINATED"})
    assert_error(response, 409, "order_not_active")


def refund(api, amount, refund_id: str):
    body = {"refund_amount": amount, "refund_id": refund_id, "refund_note": "sorry"}
    return api("POST", "/orders/ORDER-42/refunds", body)


def test_refunds_only_on_paid_orders_and_up_to_the_paid_amount(api, client):
    order = create(api)
    assert_error(refund(api, 10, "rf_1"), 409, "order_not_paid")
    complete(client, order, "success")

    first = refund(api, 60.5, "rf_1")
    assert first.status_code == 200, first.text
    assert '"refund_amount":60.50' in first.text
    entity = first.json()
    assert entity["refund_id"] == "rf_1" and entity["order_id"] == "ORDER-42"
    assert entity["entity"] == "refund" and entity["refund_status"] == "SUCCESS"
    assert entity["refund_currency"] == "INR"
    assert re.fullmatch(r"\d+", entity["cf_refund_id"])
    assert entity["created_at"].endswith("+05:30")

    assert_error(refund(api, 60.5, "rf_1"), 409, "refund_already_exists")
    assert_error(refund(api, 109.51, "rf_2"), 400, "refund_amount_invalid")
    assert_error(refund(api, 1.005, "rf_2"), 400, "refund_amount_invalid")
    assert refund(api, 109.5, "rf_2").status_code == 200
    assert_error(refund(api, 1, "rf_3"), 400, "refund_amount_invalid")

    listed = api("GET", "/orders/ORDER-42/refunds").json()
    assert [r["refund_id"] for r in listed] == ["rf_1", "rf_2"]
    assert [r["refund_amount"] for r in listed] == [60.5, 109.5]
    assert api("GET", "/orders/ORDER-42/refunds/rf_2").json() == listed[1]
    assert api("GET", "/orders/ORDER-42").json()["order_status"] == "PAID"


# --- fault modes and index --------------------------------------------------


def test_fail_mode_answers_503_but_leaves_hosted_pages_alone(api, client):
    order = create(api)
    assert client.post(f"{PREFIX}/mode", json={"mode": "fail"}).status_code == 200
    assert client.get(f"{PREFIX}/mode").get_json() == {"mode": "fail"}
    response = api("GET", "/orders/ORDER-42")
    assert response.status_code == 503
    assert response.json() == {
        "message": "service unavailable",
        "code": "api_error",
        "type": "api_error",
    }
    assert api("POST", "/orders", order_body(order_id="ORDER-43")).status_code == 503
    page = client.get(f"{PREFIX}/checkout/{order['payment_session_id']}")
    assert page.status_code == 200

    client.post(f"{PREFIX}/mode", data={"mode": "ok"})
    assert api("GET", "/orders/ORDER-42").status_code == 200


def test_hang_mode_delays_then_answers(api, client, app, monkeypatch):
    create(api)
    monkeypatch.setitem(app.config, "SANDBOX_HANG_SECONDS", 0.5)
    client.post(f"{PREFIX}/mode", data={"mode": "hang"})
    started = time.monotonic()
    response = api("GET", "/orders/ORDER-42")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.5
    with pytest.raises(requests.Timeout):
        api("GET", "/orders/ORDER-42", timeout=0.1)


def test_mode_rejects_unknown_values_and_form_redirects(client):
    response = client.post(f"{PREFIX}/mode", data={"mode": "sleepy"})
    assert response.status_code == 400
    assert response.get_json()["code"] == "mode_invalid"
    response = client.post(f"{PREFIX}/mode", data={"mode": "fail", "redirect": "1"})
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == f"{PREFIX}/"


def test_index_lists_recent_orders_with_attempts(api, client):
    order = create(api)
    complete(client, order, "failed")
    page = client.get(f"{PREFIX}/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ORDER-42" in html and "INR 170.00" in html
    assert "FAILED" in html and "ACTIVE" in html


def test_api_answers_only_under_the_pg_prefix(client):
    assert paysession.bp.name == "sandbox_paysession"
    assert client.get(f"{PREFIX}/orders/ORDER-42").status_code == 404

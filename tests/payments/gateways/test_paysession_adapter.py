"""The payment-session adapter on its own: signatures, timestamps, amounts, ids,
and the status mapping against the sandbox over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import requests

from app.payments.gateways import base as gw
from app.payments.gateways.paysession import (
    PaysessionGateway,
    gateway_order_id,
    normalise_phone,
    sign,
    to_major,
    to_minor,
)
from app.payments.gateways.registry import get_gateway

SECRET = "cfsk_demo_secret"
# The computed test vector from gateways.md §3.7 (raw body, exact bytes).
VECTOR_TS = "1704090605000"
VECTOR_BODY = (
    b'{"data":{"order":{"order_id":"ORDER-42","order_amount":170.00,'
    b'"order_currency":"INR","order_tags":null},"payment":{"cf_payment_id":'
    b'"5114910000001","payment_status":"SUCCESS","payment_amount":170.00,'
    b'"payment_currency":"INR","payment_message":"Transaction success",'
    b'"payment_time":"2024-01-01T12:00:00+05:30","bank_reference":"1234567890",'
    b'"auth_id":null,"payment_method":{"upi":{"channel":"collect","upi_id":'
    b'"testsuccess@gocash"}},"payment_group":"upi"},"customer_details":'
    b'{"customer_name":null,"customer_id":"cust_1","customer_email":'
    b'"a@example.com","customer_phone":"9999999999"}},"event_time":'
    b'"2024-01-01T12:00:05+05:30","type":"PAYMENT_SUCCESS_WEBHOOK"}'
)
VECTOR_SIGNATURE = "ui8s9I1nwx3Ju5oT0wpleiV28PX7AjbRjV9HnIOPSAw="


def adapter(tolerance: int = 300) -> PaysessionGateway:
    return PaysessionGateway(
        api_base="http://unused.invalid/pg",
        checkout_url="http://unused.invalid/checkout",
        client_id="cf_test_client",
        client_secret=SECRET,
        webhook_tolerance=tolerance,
    )


def headers(ts: str, signature: str) -> dict[str, str]:
    return {"x-webhook-timestamp": ts, "x-webhook-signature": signature}


def test_signature_matches_the_published_vector():
    assert sign(SECRET, VECTOR_TS, VECTOR_BODY) == VECTOR_SIGNATURE


def test_vector_verifies_when_fresh_and_maps_to_a_capture():
    forever = adapter(tolerance=10**10)
    message = forever.verify_webhook(headers(VECTOR_TS, VECTOR_SIGNATURE), VECTOR_BODY)
    assert message.event_id == "5114910000001:PAYMENT_SUCCESS_WEBHOOK"
    assert message.event_type == "PAYMENT_SUCCESS_WEBHOOK"
    assert message.gateway_txn_id == "ORDER-42"
    assert message.result.status == gw.CAPTURED
    assert message.result.amount == 17000 and message.result.currency == "INR"


def test_the_vector_is_stale_today():
    with pytest.raises(gw.InvalidSignature, match="replay refused"):
        adapter().verify_webhook(headers(VECTOR_TS, VECTOR_SIGNATURE), VECTOR_BODY)


def fresh(body: bytes, offset_s: float = 0, secret: str = SECRET) -> dict[str, str]:
    ts = str(int((time.time() + offset_s) * 1000))
    return headers(ts, sign(secret, ts, body))


def test_fresh_signed_webhook_verifies_and_prefers_the_idempotency_key():
    message = adapter().verify_webhook(fresh(VECTOR_BODY), VECTOR_BODY)
    assert message.result.status == gw.CAPTURED
    with_key = {**fresh(VECTOR_BODY), "X-Idempotency-Key": "evt-123"}
    assert adapter().verify_webhook(with_key, VECTOR_BODY).event_id == "evt-123"


@pytest.mark.parametrize(
    "make",
    [
        lambda: fresh(VECTOR_BODY, secret="wrong"),  # forged
        lambda: fresh(VECTOR_BODY, offset_s=-301),  # stale
        lambda: fresh(VECTOR_BODY, offset_s=+301),  # from the future
        lambda: {"x-webhook-signature": VECTOR_SIGNATURE},  # no timestamp
        lambda: {"x-webhook-timestamp": VECTOR_TS},  # no signature
        lambda: headers("17040906O5000", VECTOR_SIGNATURE),  # not digits
        lambda: headers(str(int(time.time() * 1000)), "ü-not-ascii"),
    ],
)
def test_bad_signatures_and_timestamps_are_refused(make):
    with pytest.raises(gw.InvalidSignature):
        adapter().verify_webhook(make(), VECTOR_BODY)


def test_reserialised_body_breaks_the_signature():
    """Re-encoding turns 170.00 into 170.0: the adapter must verify raw bytes."""
    reencoded = json.dumps(json.loads(VECTOR_BODY), separators=(",", ":")).encode()
    assert reencoded != VECTOR_BODY
    signed_for_raw = fresh(VECTOR_BODY)
    with pytest.raises(gw.InvalidSignature):
        adapter().verify_webhook(signed_for_raw, reencoded)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("FAILED", gw.FAILED),
        ("USER_DROPPED", gw.FAILED),
        ("PENDING", gw.PENDING),
        ("SUCCESS", gw.CAPTURED),
    ],
)
def test_webhook_payment_statuses_map(status, expected):
    body = VECTOR_BODY.replace(b'"SUCCESS"', f'"{status}"'.encode())
    message = adapter().verify_webhook(fresh(body), body)
    assert message.result.status == expected
    assert message.event_id == "5114910000001:PAYMENT_SUCCESS_WEBHOOK"


def test_signed_garbage_is_refused():
    for body in (b"not json", b"[1,2]", b'{"type":"X"}'):
        with pytest.raises(gw.InvalidSignature):
            adapter().verify_webhook(fresh(body), body)


def test_amounts_phones_and_order_ids():
    assert to_major(29999, "INR") == 299.99 and json.dumps(to_major(17000, "INR")) == (
        "170.0"
    )
    assert to_minor("170.00", "INR") == 17000 and to_minor(299.99, "INR") == 29999
    assert to_minor("2500", "JPY") == 2500 and to_minor(None, "INR") is None
    assert normalise_phone("+91 98765-43210") == "9876543210"
    assert normalise_phone("+9779800000001") == "9800000001"
    assert normalise_phone("12345") == "9999999999"
    request = gw.PaymentRequest(
        payment_id=7,
        amount=100,
        currency="INR",
        description="x",
        method="paysession",
        success_url="s",
        failure_url="f",
        external_order_num="ord_0123456789abcdef-7",
    )
    first, second = gateway_order_id(request), gateway_order_id(request)
    assert first != second  # unique per attempt even if the payment id repeats
    assert first.startswith("ord_0123456789abcdef-7-") and len(first) <= 45
    odd = gateway_order_id(
        gw.PaymentRequest(**{**request.__dict__, "external_order_num": "ä" * 60})
    )
    assert odd.startswith("pay_7-") and len(odd) <= 45


# --- against the sandbox --------------------------------------------------------


def start(app) -> tuple[PaysessionGateway, gw.PaymentRef, str]:
    gateway = get_gateway("paysession")
    base = app.config["PUBLIC_BASE_URL"]
    request = gw.PaymentRequest(
        payment_id=1,
        amount=17000,
        currency="INR",
        description="Two tickets",
        method="paysession",
        success_url=f"{base}/api/payments/redirect/1/success",
        failure_url=f"{base}/api/payments/redirect/1/failure",
        notify_url=None,
        external_order_num="ord_test-1",
        customer_name="Al",  # too short for the gateway: left out, not refused
        customer_email="not an email",
        customer_phone="",
        customer_id="cust0",
        expires_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)
        + dt.timedelta(minutes=30),
    )
    handoff = gateway.create_handoff(request)
    assert handoff.initiation_type == "redirect"
    assert handoff.redirect_url.endswith(f"/checkout/{handoff.gateway_reference}")
    ref = gw.PaymentRef(
        1, 17000, "INR", handoff.gateway_txn_id, handoff.gateway_reference
    )
    return gateway, ref, handoff.gateway_reference


def complete(live_url: str, session: str, outcome: str) -> None:
    resp = requests.post(
        f"{live_url}/_sandbox/paysession/checkout/{session}/complete",
        data={"outcome": outcome},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302


def test_status_follows_the_gateway(app, live_url):
    gateway, ref, session = start(app)
    assert gateway.fetch_status(ref).status == gw.PENDING
    complete(live_url, session, "dropped")
    dropped = gateway.fetch_status(ref)
    assert dropped.status == gw.FAILED and "dropped" in dropped.message
    complete(live_url, session, "success")
    paid = gateway.fetch_status(ref)
    assert paid.status == gw.CAPTURED and paid.amount == 17000
    assert paid.reference == session  # our reference stays the session id
    assert paid.raw["payment"]["payment_status"] == "SUCCESS"
    assert paid.raw["payment"]["payment_amount"] == "170.00"
    # The return URL is only a hint; one naming another order is refused.
    assert gateway.verify_redirect(ref, {"order_id": ref.gateway_txn_id}).status == (
        gw.CAPTURED
    )
    with pytest.raises(gw.InvalidSignature):
        gateway.verify_redirect(ref, {"order_id": "someone-else"})


def test_terminated_expired_and_unknown_orders(app, live_url):
    from app.sandbox.paysession import store as paysession_store

    gateway, ref, _session = start(app)
    requests.patch(
        f"{app.config['PUBLIC_BASE_URL']}/_sandbox/paysession/pg/orders/{ref.gateway_txn_id}",
        json={"order_status": "TERMINATED"},
        headers=gateway._headers(),
        timeout=10,
    )
    assert gateway.fetch_status(ref).status == gw.CANCELLED
    gateway, ref, _session = start(app)
    paysession_store.update(
        paysession_store.order_key(ref.gateway_txn_id),
        lambda o: {**o, "order_expiry_time": "2001-01-01T00:00:00+05:30"},
    )
    assert gateway.fetch_status(ref).status == gw.EXPIRED
    missing = gw.PaymentRef(9, 100, "INR", "no-such-order", None)
    assert gateway.fetch_status(missing).status == gw.NOT_FOUND


def test_outage_timeouts_and_bad_credentials_are_gateway_errors(app, live_url):
    gateway, ref, _session = start(app)
    requests.post(
        f"{live_url}/_sandbox/paysession/mode", json={"mode": "fail"}, timeout=10
    )
    with pytest.raises(gw.GatewayError):
        gateway.fetch_status(ref)
    requests.post(
        f"{live_url}/_sandbox/paysession/mode", json={"mode": "ok"}, timeout=10
    )
    wrong = PaysessionGateway(
        gateway.api_base, gateway.checkout_url, "cf_test_client", "wrong-secret"
    )
    with pytest.raises(gw.GatewayError):
        wrong.fetch_status(ref)
    nowhere = PaysessionGateway(
        "http://127.0.0.1:9/pg", gateway.checkout_url, "id", SECRET, timeout=1
    )
    with pytest.raises(gw.GatewayError):
        nowhere.fetch_status(ref)


def test_refund_goes_to_the_gateway_once(app, live_url):
    gateway, ref, session = start(app)
    with pytest.raises(gw.GatewayRejected):
        gateway.refund(ref, 17000)  # not paid yet: the gateway refuses (409)
    complete(live_url, session, "success")
    result = gateway.refund(ref, 17000)
    assert result.status == gw.REFUNDED and result.amount == 17000
    with pytest.raises(gw.GatewayRejected):
        gateway.refund(ref, 17000)  # same refund id again


@pytest.mark.parametrize(
    "ts", ["²" * 13, "١٧٠٤٠٩٠٦٠٥٠٠٠", "１７０４０９０６０５０００"]
)
def test_a_signed_timestamp_in_other_digits_is_refused_not_a_crash(ts):
    """Issue #13: `str.isdigit()` accepted these and `int()` then failed (500)."""
    with pytest.raises(gw.InvalidSignature):
        adapter().verify_webhook(
            headers(ts, sign(SECRET, ts, VECTOR_BODY)), VECTOR_BODY
        )

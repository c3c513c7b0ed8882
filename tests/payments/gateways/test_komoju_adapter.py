"""The KOMOJU adapter on its own: signatures, status mapping, errors.

Protocol facts and the signature test vector are in ../shared/gateways.md §2.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from app.payments.gateways import base as gw
from app.payments.gateways.komoju import (
    KomojuGateway,
    payment_result,
    session_result,
    sign,
)
from tests.conftest import free_port

VECTOR_BODY = (
    b'{"id":"evt_test_0001","type":"payment.captured","resource":"event",'
    b'"data":{"id":"pay_test_0001","resource":"payment","status":"captured",'
    b'"amount":1200,"tax":0,"total":1200,"currency":"JPY",'
    b'"external_order_num":"ORDER-42","session":"sess_test_0001"},'
    b'"created_at":"2024-01-01T00:00:00Z","reason":null}'
)
VECTOR_SIGNATURE = "ec0dbbf133143e73b8511874afa6d945c9bccec3baea969c5b5ba8cd24378e6e"
SECRET = "whsec_komoju_demo"


def gateway(base: str = "http://127.0.0.1:9/api/v1", **kw) -> KomojuGateway:
    return KomojuGateway(base, "sk_test_sandbox", SECRET, timeout=2, **kw)


def ref(txn: str | None = "sess_1", reference: str | None = None) -> gw.PaymentRef:
    return gw.PaymentRef(1, 1200, "JPY", txn, reference)


def test_signature_test_vector():
    assert len(VECTOR_BODY) == 299
    assert sign(SECRET, VECTOR_BODY) == VECTOR_SIGNATURE


def test_webhook_vector_verifies_and_maps():
    message = gateway().verify_webhook(
        {"x-komoju-signature": VECTOR_SIGNATURE}, VECTOR_BODY
    )
    assert message.event_id == "evt_test_0001"
    assert message.event_type == "payment.captured"
    assert message.gateway_txn_id == "sess_test_0001"
    assert message.gateway_reference == "pay_test_0001"
    assert message.result.status == gw.CAPTURED
    assert (message.result.amount, message.result.currency) == (1200, "JPY")


@pytest.mark.parametrize(
    "headers,body",
    [
        ({}, VECTOR_BODY),  # missing
        ({"x-komoju-signature": ""}, VECTOR_BODY),
        ({"x-komoju-signature": "0" * 64}, VECTOR_BODY),  # wrong
        ({"x-komoju-signature": VECTOR_SIGNATURE}, VECTOR_BODY.replace(b"1200", b"1")),
        ({"x-komoju-signature": sign("other-secret", VECTOR_BODY)}, VECTOR_BODY),
        ({"x-komoju-signature": sign(SECRET, b"not json")}, b"not json"),
        ({"x-komoju-signature": sign(SECRET, b"[1]")}, b"[1]"),
    ],
)
def test_bad_webhooks_are_refused(headers, body):
    with pytest.raises(gw.InvalidSignature):
        gateway().verify_webhook(headers, body)


def test_no_webhook_secret_refuses_everything():
    adapter = KomojuGateway("http://127.0.0.1:9", "sk", "", timeout=1)
    with pytest.raises(gw.InvalidSignature):
        adapter.verify_webhook({"x-komoju-signature": VECTOR_SIGNATURE}, VECTOR_BODY)


def test_ping_is_valid_but_about_no_payment():
    body = json.dumps({"id": "evt_ping", "type": "ping", "data": {}}).encode()
    message = gateway().verify_webhook({"x-komoju-signature": sign(SECRET, body)}, body)
    assert message.event_type == "ping"
    assert message.gateway_txn_id is None
    assert message.result.status == gw.PENDING and message.result.amount is None


def test_event_id_falls_back_to_header_then_replay_guard():
    data = {"id": "pay_1", "resource": "payment", "status": "expired", "session": "s"}
    body = json.dumps({"type": "payment.expired", "data": data}).encode()
    headers = {"x-komoju-signature": sign(SECRET, body), "x-komoju-id": "evt_h"}
    assert gateway().verify_webhook(headers, body).event_id == "evt_h"
    del headers["x-komoju-id"]
    message = gateway().verify_webhook(headers, body)
    assert message.event_id == "payment.expired:pay_1:expired"
    assert message.result.status == gw.EXPIRED


def konbini_payment(status="authorized", **extra) -> dict:
    return {
        "id": "pay_1",
        "resource": "payment",
        "status": status,
        "amount": 5000,
        "tax": 0,
        "total": 5190,
        "payment_method_fee": 190,
        "currency": "JPY",
        "payment_deadline": "2026-11-26T14:59:59Z",
        "payment_details": {
            "type": "konbini",
            "store": "lawson",
            "confirmation_code": "123456",
            "receipt": "12345678901",
            "instructions_url": "https://komoju.example/instructions",
        },
        "session": "sess_1",
        **extra,
    }


def test_authorized_konbini_has_deadline_and_instructions():
    result = payment_result(konbini_payment(), "sess_1")
    assert result.status == gw.AUTHORIZED
    assert result.amount == 5000  # total minus the payment method fee
    assert result.approve_by == dt.datetime(2026, 11, 26, 14, 59, 59)
    assert result.approve_by.tzinfo is None  # stored as naive UTC
    assert result.instructions == {
        "store": "lawson",
        "confirmation_code": "123456",
        "receipt": "12345678901",
        "instructions_url": "https://komoju.example/instructions",
    }
    assert result.reference == "pay_1"


def test_legacy_pending_konbini_slip_counts_as_authorized():
    assert payment_result(konbini_payment("pending"), "s").status == gw.AUTHORIZED
    card = {"id": "p", "status": "pending", "total": 1, "currency": "JPY"}
    assert payment_result(card, "s").status == gw.PENDING


@pytest.mark.parametrize(
    "status,expected",
    [
        ("captured", gw.CAPTURED),
        ("failed", gw.FAILED),
        ("expired", gw.EXPIRED),
        ("cancelled", gw.CANCELLED),
        ("refunded", gw.REFUNDED),
        ("something-new", gw.PENDING),
    ],
)
def test_payment_statuses(status, expected):
    result = payment_result(konbini_payment(status), "sess_1")
    assert result.status == expected
    assert result.approve_by is None and result.instructions == {}


def session(status="pending", payment=None, expired=False) -> dict:
    return {
        "id": "sess_1",
        "resource": "session",
        "status": status,
        "amount": 5000,
        "currency": "JPY",
        "expired": expired,
        "payment": payment,
    }


def test_session_states():
    done = session_result(session("completed", konbini_payment("captured")))
    assert done.status == gw.CAPTURED and done.gateway_txn_id == "sess_1"
    assert done.amount == 5000 and done.reference == "pay_1"
    assert session_result(session("pending")).status == gw.PENDING
    assert session_result(session("pending", expired=True)).status == gw.EXPIRED
    assert session_result(session("cancelled")).status == gw.CANCELLED
    # `completed` without its payment is not money received
    assert session_result(session("completed")).status == gw.PENDING


def test_redirect_checks_only_the_session_id():
    adapter = gateway()
    truth = gw.GatewayResult(gw.PENDING, 1200, "JPY", "sess_1")
    adapter.fetch_status = lambda _ref: truth  # type: ignore[method-assign]
    for params in ({}, {"session_id": ""}, {"session_id": "sess_2"}):
        with pytest.raises(gw.InvalidSignature):
            adapter.verify_redirect(ref(), params)
    with pytest.raises(gw.InvalidSignature):
        adapter.verify_redirect(ref(txn=None), {"session_id": "sess_1"})
    # Whatever else the URL claims, the answer is what KOMOJU says.
    forged = {"session_id": "sess_1", "status": "captured", "amount": "1200"}
    assert adapter.verify_redirect(ref(), forged) is truth


def test_unreachable_gateway_is_a_gateway_error():
    adapter = gateway(f"http://127.0.0.1:{free_port()}/api/v1")
    with pytest.raises(gw.GatewayError):
        adapter.fetch_status(ref())
    request = gw.PaymentRequest(
        payment_id=1,
        amount=1200,
        currency="JPY",
        description="x",
        method="konbini",
        success_url="http://127.0.0.1/r",
        failure_url="http://127.0.0.1/f",
    )
    with pytest.raises(gw.GatewayError):
        adapter.create_handoff(request)


def test_refund_needs_the_payment_id():
    with pytest.raises(gw.GatewayRejected):
        gateway().refund(ref(reference=None), 1200)


# --- against the sandbox over HTTP ------------------------------------------------


def _request(live_url: str, method: str = "konbini", **kw) -> gw.PaymentRequest:
    fields = {
        "payment_id": 7,
        "amount": 11000,
        "currency": "JPY",
        "description": "Tickets",
        "method": method,
        "success_url": f"{live_url}/api/payments/redirect/7/success",
        "failure_url": f"{live_url}/api/payments/redirect/7/failure",
        "external_order_num": "ord_abc-7",
        "customer_email": "buyer@example.com",
        **kw,
    }
    return gw.PaymentRequest(**fields)


def test_session_is_created_as_the_protocol_says(app, live_url):
    from app.payments.gateways.registry import get_gateway
    from tests.support.komoju import sandbox_session

    adapter = get_gateway("komoju")
    handoff = adapter.create_handoff(_request(live_url))
    assert handoff.initiation_type == "redirect" and handoff.payload == {}
    assert handoff.redirect_url == (
        f"{live_url}/_sandbox/komoju/sessions/{handoff.gateway_txn_id}"
    )
    stored = sandbox_session(live_url, handoff.gateway_txn_id)
    assert stored["amount"] == 11000 and stored["currency"] == "JPY"
    assert stored["return_url"] == f"{live_url}/api/payments/redirect/7/success"
    assert stored["payment_methods"] == [{"type": "konbini"}]
    assert stored["payment_data"]["external_order_num"] == "ord_abc-7"
    assert stored["email"] == "buyer@example.com"
    truth = adapter.fetch_status(ref(handoff.gateway_txn_id))
    assert truth.status == gw.PENDING and truth.amount == 11000


def test_refused_and_failing_gateway(app, live_url):
    from app.payments.gateways.registry import get_gateway

    wrong_key = KomojuGateway(
        f"{live_url}/_sandbox/komoju/api/v1", "sk_wrong", SECRET, timeout=5
    )
    with pytest.raises(gw.GatewayRejected):
        wrong_key.create_handoff(_request(live_url))
    adapter = get_gateway("komoju")
    assert adapter.fetch_status(ref("nosuchsession")).status == gw.NOT_FOUND
    import requests

    requests.post(f"{live_url}/_sandbox/komoju/mode", json={"mode": "fail"}, timeout=5)
    try:
        with pytest.raises(gw.GatewayError):
            adapter.create_handoff(_request(live_url))
        with pytest.raises(gw.GatewayError):
            adapter.fetch_status(ref("anything"))
    finally:
        requests.post(
            f"{live_url}/_sandbox/komoju/mode", json={"mode": "ok"}, timeout=5
        )


def test_refund_and_cancel_session(app, live_url):
    from app.payments.gateways.registry import get_gateway
    from tests.support.komoju import complete

    adapter = get_gateway("komoju")
    paid = adapter.create_handoff(_request(live_url, method="credit_card"))
    complete(live_url, paid.gateway_txn_id, "credit_card", "capture")
    truth = adapter.fetch_status(ref(paid.gateway_txn_id))
    assert truth.status == gw.CAPTURED and truth.amount == 11000
    refund = adapter.refund(
        gw.PaymentRef(7, 11000, "JPY", paid.gateway_txn_id, truth.reference), 11000
    )
    assert refund.status == gw.REFUNDED and refund.amount == 11000
    assert adapter.cancel_session(paid.gateway_txn_id) is False  # completed

    open_one = adapter.create_handoff(_request(live_url, payment_id=8))
    assert adapter.cancel_session(open_one.gateway_txn_id) is True
    assert adapter.cancel_session(open_one.gateway_txn_id) is True  # already
    assert adapter.fetch_status(ref(open_one.gateway_txn_id)).status == gw.CANCELLED

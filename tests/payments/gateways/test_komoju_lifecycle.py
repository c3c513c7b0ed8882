"""The KOMOJU adapter through a payment's whole life, against the sandbox.

Over real HTTP: the adapter creates sessions in the buyer's language, refunds in
parts, cancels slips, and reads what the sandbox's signed webhooks (caught on a
loopback receiver) and status answers say about partial refunds and
cancellations. The adapter knows nothing of orders; these tests use none.
"""

from __future__ import annotations

import pytest
import requests

from app.payments.gateways import base as gw
from app.payments.gateways.komoju import KomojuGateway
from tests.support.webhooks import WebhookReceiver

SANDBOX = "/_sandbox/komoju"
SECRET_KEY = "sk_test_sandbox"
WEBHOOK_SECRET = "whsec_komoju_demo"


@pytest.fixture
def adapter(app, live_url) -> KomojuGateway:
    return KomojuGateway(f"{live_url}{SANDBOX}/api/v1", SECRET_KEY, WEBHOOK_SECRET, 5)


@pytest.fixture
def receiver(app, monkeypatch):
    rec = WebhookReceiver("/webhooks/komoju").start()
    monkeypatch.setitem(app.config, "KOMOJU_WEBHOOK_URL", rec.url)
    yield rec
    rec.stop()


def request(live_url: str, method: str = "konbini", **kw) -> gw.PaymentRequest:
    fields = {
        "payment_id": 7,
        "amount": 6000,
        "currency": "JPY",
        "description": "Two tickets",
        "method": method,
        "success_url": f"{live_url}/api/payments/redirect/7/success",
        "failure_url": f"{live_url}/api/payments/redirect/7/failure",
        "external_order_num": "ord_abc-7",
        **kw,
    }
    return gw.PaymentRequest(**fields)


def session_of(live_url: str, session_id: str) -> dict:
    resp = requests.get(
        f"{live_url}{SANDBOX}/api/v1/sessions/{session_id}",
        auth=(SECRET_KEY, ""),
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def click(live_url: str, session_id: str, payment_type: str) -> None:
    resp = requests.post(
        f"{live_url}{SANDBOX}/sessions/{session_id}/complete",
        data={"payment_type": payment_type, "outcome": "capture"},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302, resp.text


def paid(adapter, live_url, method: str = "credit_card") -> gw.PaymentRef:
    handoff = adapter.create_handoff(request(live_url, method))
    click(live_url, handoff.gateway_txn_id, method)
    truth = adapter.fetch_status(
        gw.PaymentRef(7, 6000, "JPY", handoff.gateway_txn_id, None)
    )
    return gw.PaymentRef(7, 6000, "JPY", handoff.gateway_txn_id, truth.reference)


def delivered(adapter, receiver, jobs) -> list[gw.WebhookMessage]:
    """Every webhook the sandbox sent, as the adapter reads it."""
    jobs.run()
    return [adapter.verify_webhook(headers, body) for headers, body in receiver.calls]


# --- the hosted page in the buyer's language ---------------------------------------


@pytest.mark.parametrize(
    ("locale", "sent"), [("ja", "ja"), ("en", "en"), ("ko", "ko"), ("ne", "en")]
)
def test_session_carries_the_buyers_locale(adapter, live_url, client, locale, sent):
    handoff = adapter.create_handoff(request(live_url, locale=locale))
    assert session_of(live_url, handoff.gateway_txn_id)["default_locale"] == sent
    page = client.get(f"{SANDBOX}/sessions/{handoff.gateway_txn_id}")
    assert f'<html lang="{"ja" if sent == "ja" else "en"}">' in page.get_data(
        as_text=True
    )


def test_locale_defaults_to_english(adapter, live_url):
    handoff = adapter.create_handoff(request(live_url))
    assert session_of(live_url, handoff.gateway_txn_id)["default_locale"] == "en"


def test_payment_methods_limit_the_hosted_page(adapter, live_url, client):
    both = request(live_url, payment_methods=("konbini", "credit_card"))
    handoff = adapter.create_handoff(both)
    methods = session_of(live_url, handoff.gateway_txn_id)["payment_methods"]
    assert [m["type"] for m in methods] == ["konbini", "credit_card"]
    only = adapter.create_handoff(request(live_url, method="credit_card"))
    html = client.get(f"{SANDBOX}/sessions/{only.gateway_txn_id}").get_data(
        as_text=True
    )
    assert "komoju-konbini-capture" not in html


# --- partial refunds ------------------------------------------------------------------


def test_refund_one_part_at_a_time(adapter, live_url, receiver, jobs):
    ref = paid(adapter, live_url)

    first = adapter.refund(ref, 3000)

    assert first.status == gw.CAPTURED  # partly refunded money stays captured
    assert (first.amount, first.amount_refunded) == (3000, 3000)
    assert first.refund_reference and first.reference == ref.gateway_reference
    truth = adapter.fetch_status(ref)
    assert (truth.status, truth.amount, truth.amount_refunded) == (
        gw.CAPTURED,
        6000,
        3000,
    )
    with pytest.raises(gw.GatewayRejected):
        adapter.refund(ref, 3001)  # more than is left

    last = adapter.refund(ref, 3000)

    assert last.status == gw.REFUNDED
    assert (last.amount, last.amount_refunded) == (3000, 6000)
    assert last.refund_reference not in (None, first.refund_reference)
    assert adapter.fetch_status(ref).status == gw.REFUNDED
    with pytest.raises(gw.GatewayRejected):
        adapter.refund(ref, 1)

    messages = delivered(adapter, receiver, jobs)
    assert [m.event_type for m in messages] == [
        "payment.captured",
        "payment.refund.created",
        "payment.refunded",
    ]
    partial, full = messages[1], messages[2]
    assert partial.gateway_txn_id == ref.gateway_txn_id
    assert partial.gateway_reference == ref.gateway_reference
    assert (partial.result.status, partial.result.amount_refunded) == (
        gw.CAPTURED,
        3000,
    )
    assert partial.result.refund_reference == first.refund_reference
    assert (full.result.status, full.result.amount_refunded) == (gw.REFUNDED, 6000)
    assert len({m.event_id for m in messages}) == 3


def test_captured_payment_without_refunds_reports_none(adapter, live_url):
    truth = adapter.fetch_status(paid(adapter, live_url))
    assert truth.status == gw.CAPTURED
    assert truth.amount_refunded == 0 and truth.refund_reference is None


# --- cancellations -------------------------------------------------------------------


def test_konbini_slip_cancelled_by_komoju(adapter, live_url, receiver, jobs):
    ref = paid(adapter, live_url, "konbini")
    assert adapter.fetch_status(ref).status == gw.AUTHORIZED

    resp = requests.post(
        f"{live_url}{SANDBOX}/sessions/{ref.gateway_txn_id}/cancel_payment", timeout=10
    )

    assert resp.status_code == 200
    truth = adapter.fetch_status(ref)
    assert truth.status == gw.CANCELLED
    assert truth.approve_by is None and truth.instructions == {}
    messages = delivered(adapter, receiver, jobs)
    assert [m.event_type for m in messages] == [
        "payment.authorized",
        "payment.cancelled",
    ]
    cancelled = messages[-1]
    assert cancelled.gateway_txn_id == ref.gateway_txn_id
    assert cancelled.gateway_reference == ref.gateway_reference
    assert cancelled.result.status == gw.CANCELLED
    assert cancelled.result.amount == 6000


def test_merchant_cancels_a_slip_through_the_adapter(adapter, live_url):
    ref = paid(adapter, live_url, "konbini")

    result = adapter.cancel_payment(ref)

    assert result.status == gw.CANCELLED and result.reference == ref.gateway_reference
    assert adapter.fetch_status(ref).status == gw.CANCELLED
    with pytest.raises(gw.GatewayRejected):
        adapter.cancel_payment(ref)  # already cancelled


def test_captured_money_cannot_be_cancelled(adapter, live_url):
    ref = paid(adapter, live_url)
    with pytest.raises(gw.GatewayRejected):
        adapter.cancel_payment(ref)
    with pytest.raises(gw.GatewayRejected):
        adapter.cancel_payment(gw.PaymentRef(7, 6000, "JPY", "sess", None))
    assert adapter.fetch_status(ref).status == gw.CAPTURED


def test_cancel_during_an_outage_is_a_gateway_error(adapter, live_url):
    ref = paid(adapter, live_url, "konbini")
    requests.post(f"{live_url}{SANDBOX}/mode", json={"mode": "fail"}, timeout=10)
    with pytest.raises(gw.GatewayError):
        adapter.cancel_payment(ref)
    requests.post(f"{live_url}{SANDBOX}/mode", json={"mode": "ok"}, timeout=10)
    assert adapter.fetch_status(ref).status == gw.AUTHORIZED

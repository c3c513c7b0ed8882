"""KOMOJU sandbox lifecycle beyond paying: cancelling slips, partial refunds and
the hosted page in the buyer's language (gateways.md 2.2, 2.4-2.6).

Everything goes over real HTTP; webhooks land on a loopback receiver and are
checked against an HMAC computed here.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
import requests

from tests.sandbox.test_komoju_sandbox import (
    BROWSER_ACCEPT,
    SANDBOX,
    WEBHOOK_SECRET,
    call,
    create_session,
    get_session,
    paid_session,
    store_action,
)
from tests.support.webhooks import WebhookReceiver


@pytest.fixture
def receiver(app, monkeypatch):
    rec = WebhookReceiver("/webhooks/komoju").start()
    monkeypatch.setitem(app.config, "KOMOJU_WEBHOOK_URL", rec.url)
    yield rec
    rec.stop()


def signed_ok(headers: dict, body: bytes) -> bool:
    expected = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["x-komoju-signature"], expected)


# --- KOMOJU cancels a konbini slip ------------------------------------------------


def test_sandbox_cancels_an_unpaid_konbini_slip(app, live_url, receiver, jobs):
    session = paid_session(live_url, "konbini")

    resp = store_action(live_url, session["id"], "cancel_payment")

    assert resp.status_code == 200
    assert resp.json()["status"] == "cancelled"
    after = get_session(live_url, session["id"])
    assert after["status"] == "completed"
    assert after["payment"]["status"] == "cancelled"
    jobs.run()
    assert receiver.types() == ["payment.authorized", "payment.cancelled"]
    headers, body = receiver.calls[-1]
    assert headers["x-komoju-event"] == "payment.cancelled"
    assert signed_ok(headers, body)
    cancelled = receiver.events()[-1]["data"]
    assert cancelled["id"] == session["payment"]["id"]
    assert cancelled["session"] == session["id"]
    for action in ("cancel_payment", "pay_at_store", "expire"):
        again = store_action(live_url, session["id"], action)
        assert again.status_code == 409, action
        assert again.json()["error"]["code"] == "invalid_state"


def test_cancel_slip_button_on_the_hosted_page(app, client, live_url, receiver):
    session = paid_session(live_url, "konbini")
    page = client.get(f"{SANDBOX}/sessions/{session['id']}").get_data(as_text=True)
    assert 'id="komoju-cancel-payment"' in page

    resp = client.post(
        f"{SANDBOX}/sessions/{session['id']}/cancel_payment",
        data={"back": "session"},
        headers={"Accept": BROWSER_ACCEPT},
    )

    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "The slip was cancelled." in page
    assert 'data-status="cancelled"' in page
    assert 'id="komoju-cancel-payment"' not in page


def test_index_offers_to_cancel_an_authorized_slip(live_url, client):
    session = paid_session(live_url, "konbini")
    html = client.get(f"{SANDBOX}/").get_data(as_text=True)
    assert f'id="komoju-cancel-payment-{session["id"]}"' in html


def test_card_payments_have_no_slip_to_cancel(live_url):
    card = paid_session(live_url)
    assert store_action(live_url, card["id"], "cancel_payment").status_code == 409
    pending = create_session(live_url)
    assert store_action(live_url, pending["id"], "cancel_payment").status_code == 409


# --- the merchant cancels over the API ----------------------------------------------


def test_merchant_cancels_an_authorized_payment(live_url, receiver, jobs):
    slip = paid_session(live_url, "konbini")["payment"]

    resp = call(live_url, "POST", f"/payments/{slip['id']}/cancel")

    assert resp.status_code == 200
    assert resp.json()["status"] == "cancelled"
    assert call(live_url, "GET", f"/payments/{slip['id']}").json()["status"] == (
        "cancelled"
    )
    again = call(live_url, "POST", f"/payments/{slip['id']}/cancel")
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "invalid_state"
    jobs.run()
    assert receiver.types()[-1] == "payment.cancelled"


def test_manually_captured_card_can_be_cancelled_before_capture(live_url):
    session = create_session(
        live_url, payment_data={"external_order_num": "O-1", "capture": "manual"}
    )
    requests.post(
        f"{live_url}{SANDBOX}/sessions/{session['id']}/complete",
        data={"payment_type": "credit_card", "outcome": "capture"},
        allow_redirects=False,
        timeout=10,
    )
    payment = get_session(live_url, session["id"])["payment"]
    assert payment["status"] == "authorized"
    path = f"/payments/{payment['id']}"
    assert call(live_url, "POST", f"{path}/cancel").json()["status"] == "cancelled"
    assert call(live_url, "POST", f"{path}/capture").status_code == 422


def test_captured_money_is_refunded_not_cancelled(live_url):
    payment = paid_session(live_url)["payment"]
    resp = call(live_url, "POST", f"/payments/{payment['id']}/cancel")
    assert resp.status_code == 422
    assert call(live_url, "GET", f"/payments/{payment['id']}").json()["status"] == (
        "captured"
    )


def test_cancel_needs_the_key_and_a_known_payment(live_url):
    payment = paid_session(live_url, "konbini")["payment"]
    anonymous = call(live_url, "POST", f"/payments/{payment['id']}/cancel", auth=None)
    assert anonymous.status_code == 401
    assert call(live_url, "POST", "/payments/nope/cancel").status_code == 404
    assert call(live_url, "GET", f"/payments/{payment['id']}").json()["status"] == (
        "authorized"
    )


# --- partial refunds ------------------------------------------------------------


def test_partial_refunds_are_announced_with_their_amounts(live_url, receiver, jobs):
    payment = paid_session(live_url)["payment"]
    path = f"/payments/{payment['id']}/refund"

    first = call(live_url, "POST", path, json={"amount": 200}).json()
    second = call(live_url, "POST", path, json={"amount": 300}).json()
    last = call(live_url, "POST", path, json={}).json()  # everything that is left

    assert (first["status"], first["amount_refunded"]) == ("captured", 200)
    assert (second["status"], second["amount_refunded"]) == ("captured", 500)
    assert (last["status"], last["amount_refunded"]) == ("refunded", 1200)
    assert [r["amount"] for r in last["refunds"]] == [200, 300, 700]
    assert len({r["id"] for r in last["refunds"]}) == 3
    jobs.run()
    assert receiver.types() == [
        "payment.captured",
        "payment.refund.created",
        "payment.refund.created",
        "payment.refunded",
    ]
    refunds = [e["data"] for e in receiver.events()[1:]]
    assert [d["amount_refunded"] for d in refunds] == [200, 500, 1200]
    assert [d["status"] for d in refunds] == ["captured", "captured", "refunded"]
    assert [[r["amount"] for r in d["refunds"]] for d in refunds] == [
        [200],
        [200, 300],
        [200, 300, 700],
    ]
    assert all(signed_ok(h, b) for h, b in receiver.calls)


@pytest.mark.parametrize("amount", [0, -5, "abc", 1.5, True, 1201])
def test_refund_amounts_outside_what_is_left_are_refused(live_url, amount):
    payment = paid_session(live_url)["payment"]
    resp = call(
        live_url, "POST", f"/payments/{payment['id']}/refund", json={"amount": amount}
    )
    assert resp.status_code == 422
    assert resp.json()["error"]["param"] == "amount"
    after = call(live_url, "GET", f"/payments/{payment['id']}").json()
    assert after["amount_refunded"] == 0 and after["refunds"] == []


def test_a_cancelled_slip_cannot_be_refunded(live_url):
    session = paid_session(live_url, "konbini")
    store_action(live_url, session["id"], "cancel_payment")
    resp = call(live_url, "POST", f"/payments/{session['payment']['id']}/refund")
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "invalid_state"


# --- the hosted page in the buyer's language --------------------------------------


@pytest.mark.parametrize(
    ("locale", "lang", "words", "absent"),
    [
        (
            "ja",
            "ja",
            ["のお支払い", "クレジットカード", "払込票を発行する"],
            "Pay by card",
        ),
        ("en", "en", ["Pay ", "Credit card", "Issue konbini slip"], "クレジットカード"),
        ("ko", "en", ["Credit card"], "クレジットカード"),  # no Korean: English
    ],
)
def test_hosted_page_speaks_the_default_locale(
    client, live_url, locale, lang, words, absent
):
    session = create_session(live_url, default_locale=locale)
    assert session["default_locale"] == locale

    html = client.get(f"{SANDBOX}/sessions/{session['id']}").get_data(as_text=True)

    assert f'<html lang="{lang}">' in html
    assert all(word in html for word in words)
    assert absent not in html
    assert 'id="komoju-credit_card-capture"' in html  # the same buttons either way


def test_japanese_slip_page_after_issuing(client, live_url):
    session = create_session(live_url, default_locale="ja")
    requests.post(
        f"{live_url}{SANDBOX}/sessions/{session['id']}/complete",
        data={"payment_type": "konbini", "outcome": "capture"},
        allow_redirects=False,
        timeout=10,
    )
    html = client.get(f"{SANDBOX}/sessions/{session['id']}").get_data(as_text=True)
    for word in (
        "受付番号",
        "確認番号",
        "お支払い期限",
        "店頭で支払う",
        "払込票を取り消す",
    ):
        assert word in html
    assert 'data-status="authorized"' in html


def test_default_locale_defaults_to_japanese(live_url):
    assert create_session(live_url)["default_locale"] == "ja"
    resp = call(
        live_url,
        "POST",
        "/sessions",
        json={
            "amount": 100,
            "currency": "JPY",
            "return_url": "https://e.com/r",
            "default_locale": "fr",
        },
    )
    assert resp.status_code == 422
    assert resp.json()["error"]["param"] == "default_locale"

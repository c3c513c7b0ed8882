"""The payment-session sandbox offers only the order's `payment_methods` (§3.3)
and reports the method used in `payment_group` and `payment_method` (§3.5)."""

from __future__ import annotations

import json
import re

import pytest
import requests

from tests.sandbox.test_paysession_sandbox import HEADERS, PREFIX, create, order_body
from tests.support.webhooks import WebhookReceiver


@pytest.fixture
def api(app, live_url):
    """The sandbox API over real HTTP, as the merchant adapter calls it."""

    def call(method: str, path: str, body=None):
        return requests.request(
            method,
            f"{live_url}{PREFIX}/pg{path}",
            json=body,
            headers=HEADERS,
            timeout=10,
        )

    return call


def page(client, order: dict) -> str:
    resp = client.get(f"{PREFIX}/checkout/{order['payment_session_id']}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def offered(html: str) -> list[str]:
    return re.findall(r'name="payment_method" value="([a-z]+)"', html)


def pay(client, order: dict, outcome: str = "success", method: str | None = None):
    data = {"outcome": outcome}
    if method is not None:
        data["payment_method"] = method
    return client.post(
        f"{PREFIX}/checkout/{order['payment_session_id']}/complete", data=data
    )


def meta(methods: str | None, **extra) -> dict:
    body = {"return_url": "https://shop.example.com/r/{order_id}", **extra}
    if methods is not None:
        body["payment_methods"] = methods
    return body


def test_only_the_orders_methods_are_offered(api, client):
    order = create(api, order_meta=meta("cc,upi"))
    assert order["order_meta"]["payment_methods"] == "cc,upi"
    html = page(client, order)
    assert offered(html) == ["upi", "cc"]
    assert 'id="paysession-method-nb"' not in html
    assert re.search(r'value="upi" id="paysession-method-upi" checked', html)


def test_without_a_list_every_method_is_offered(api, client):
    html = page(client, create(api))
    assert offered(html)[0] == "upi"
    assert set(offered(html)) >= {"upi", "cc", "dc", "nb", "app", "paylater"}


@pytest.mark.parametrize(
    ("method", "group", "key"),
    [
        ("cc", "credit_card", "card"),
        ("dc", "debit_card", "card"),
        ("nb", "net_banking", "netbanking"),
        ("app", "wallet", "app"),
        ("upi", "upi", "upi"),
    ],
)
def test_the_method_used_is_reported(api, client, method, group, key):
    order = create(api, order_meta=meta("upi,cc,dc,nb,app"))
    assert pay(client, order, method=method).status_code == 302
    [payment] = api("GET", "/orders/ORDER-42/payments").json()
    assert payment["payment_group"] == group
    assert list(payment["payment_method"]) == [key]
    assert payment["payment_status"] == "SUCCESS"


def test_a_method_not_offered_is_refused_and_nothing_is_recorded(api, client):
    order = create(api, order_meta=meta("cc"))
    for method in ("upi", "bitcoin"):
        resp = pay(client, order, method=method)
        assert resp.status_code == 400
        assert "not offered" in resp.get_data(as_text=True)
    assert api("GET", "/orders/ORDER-42/payments").json() == []
    assert api("GET", "/orders/ORDER-42").json()["order_status"] == "ACTIVE"


def test_without_a_choice_the_first_offered_method_is_used(api, client):
    order = create(api, order_meta=meta("nb,cc"))
    pay(client, order, outcome="failed")
    [payment] = api("GET", "/orders/ORDER-42/payments").json()
    assert payment["payment_group"] == "credit_card"  # cc comes first on the page


@pytest.mark.parametrize("methods", ["card", "cc,upi,bitcoin"])
def test_unknown_method_codes_are_refused_at_creation(api, methods):
    resp = api("POST", "/orders", order_body(order_meta=meta(methods)))
    assert resp.status_code == 400
    assert resp.json()["code"] == "payment_methods_invalid"


def test_webhook_names_the_method(api, client, jobs):
    receiver = WebhookReceiver("/webhooks/paysession").start()
    try:
        order = create(api, order_meta=meta("cc", notify_url=receiver.url))
        pay(client, order)
        jobs.run()
        [(_headers, body)] = receiver.calls
    finally:
        receiver.stop()
    payment = json.loads(body)["data"]["payment"]
    assert payment["payment_group"] == "credit_card"
    assert payment["payment_method"]["card"]["card_network"] == "visa"
    assert '"payment_amount":170.00' in body.decode()

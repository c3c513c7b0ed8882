"""Fixtures for seed 002's PaymentService: a merchant key and an RPC client."""

from __future__ import annotations

import pytest
import requests

from app.accounts.merchant_keys import create_merchant_key

SERVICE = "/rpc/payment.v1.PaymentService"
SANDBOX = "/_sandbox/paysession"


class Rpc:
    """Calls the PaymentService as a merchant system would (Flask test client)."""

    def __init__(self, client, key: str):
        self.client = client
        self.key = key

    def headers(self, key=None, extra=None) -> dict:
        key = self.key if key is None else key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        headers.update(extra or {})
        return headers

    def call(self, method: str, body, key=None, headers=None):
        return self.client.post(
            f"{SERVICE}/{method}", json=body, headers=self.headers(key, headers)
        )

    def get(self, path: str, key=None):
        return self.client.get(path, headers=self.headers(key))

    def create(self, **overrides) -> dict:
        resp = self.call("CreateOrder", order_request(**overrides))
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    def verify(self, order_id: str):
        return self.call("VerifyPayment", {"order_id": order_id})


def order_request(**overrides) -> dict:
    body = {
        "customer_name": "Alice",
        "customer_email": "alice@example.com",
        "customer_phone": "9999999999",
        "order_amount": 299.99,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture
def merchant(factory, db):
    factory.payment_methods()
    raw, key = create_merchant_key("Acme Books")
    db.session.commit()
    return raw, key


@pytest.fixture
def rpc(client, merchant):
    return Rpc(client, merchant[0])


def checkout(live_url: str, session_id: str, outcome: str = "success") -> str:
    """The customer on the hosted checkout: open it, choose an outcome; returns
    where the gateway sends the browser (not followed)."""
    page = requests.get(f"{live_url}{SANDBOX}/checkout/{session_id}", timeout=10)
    assert page.status_code == 200, page.text[:300]
    resp = requests.post(
        f"{live_url}{SANDBOX}/checkout/{session_id}/complete",
        data={"outcome": outcome},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302, resp.text[:300]
    return resp.headers["Location"]


def set_mode(live_url: str, mode: str) -> None:
    resp = requests.post(f"{live_url}{SANDBOX}/mode", json={"mode": mode}, timeout=10)
    assert resp.status_code == 200

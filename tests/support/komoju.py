"""Drive the KOMOJU sandbox over real HTTP: its hosted page's buttons and its API."""

from __future__ import annotations

import requests

WEBHOOK_SECRET = "whsec_komoju_demo"
SANDBOX = "/_sandbox/komoju"
SECRET_KEY = "sk_test_sandbox"


def complete(live_url, sid, payment_type="konbini", outcome="capture"):
    """A button on the sandbox's hosted page; returns the return URL (with
    `session_id`) the browser would be sent to."""
    resp = requests.post(
        f"{live_url}{SANDBOX}/sessions/{sid}/complete",
        data={"payment_type": payment_type, "outcome": outcome},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302, resp.text
    return resp.headers["Location"]


def pay_at_store(live_url, sid):
    resp = requests.post(
        f"{live_url}{SANDBOX}/sessions/{sid}/pay_at_store",
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()["payment"]


def expire_slip(live_url, sid):
    resp = requests.post(
        f"{live_url}{SANDBOX}/sessions/{sid}/expire",
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()["payment"]


def cancel_slip(live_url, sid):
    """KOMOJU cancels the unpaid konbini slip (the customer cancelled it at the
    store): the sandbox's own action, which queues a signed payment.cancelled."""
    resp = requests.post(
        f"{live_url}{SANDBOX}/sessions/{sid}/cancel_payment",
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()["payment"]


def refund_at_dashboard(live_url, payment_id, amount=None):
    """Someone refunds at KOMOJU's dashboard (the API, without our shop)."""
    body = {} if amount is None else {"amount": amount}
    resp = requests.post(
        f"{live_url}{SANDBOX}/api/v1/payments/{payment_id}/refund",
        json=body,
        auth=(SECRET_KEY, ""),
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def sandbox_payment(live_url, payment_id) -> dict:
    resp = requests.get(
        f"{live_url}{SANDBOX}/api/v1/payments/{payment_id}",
        auth=(SECRET_KEY, ""),
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def sandbox_session(live_url, sid) -> dict:
    resp = requests.get(
        f"{live_url}{SANDBOX}/api/v1/sessions/{sid}", auth=(SECRET_KEY, ""), timeout=10
    )
    assert resp.status_code == 200, resp.text
    return resp.json()

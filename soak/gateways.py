"""What a customer's browser does at each gateway sandbox, over real HTTP."""

from __future__ import annotations

import random
from urllib.parse import urlsplit

import requests

TIMEOUT = 20


def path_of(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def esewa_pay(http: requests.Session, sandbox: str, init: dict, outcome: str) -> str:
    """Post the hand-off form, press Pay (or Fail); the return URL (not followed)."""
    form = http.post(init["redirectUrl"], data=init["gatewayPayload"], timeout=TIMEOUT)
    form.raise_for_status()
    resp = http.post(
        f"{sandbox}/esewa/pay",
        data={"transaction_uuid": init["gatewayTransactionId"], "outcome": outcome},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    if resp.status_code != 302:
        raise RuntimeError(f"esewa pay {resp.status_code}")
    return resp.headers["Location"]


def komoju_complete(http: requests.Session, sandbox: str, sid: str, kind: str) -> str:
    """The hosted page's button: a card is captured, a konbini slip is issued."""
    resp = http.post(
        f"{sandbox}/komoju/sessions/{sid}/complete",
        data={"payment_type": kind, "outcome": "capture"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    if resp.status_code != 302:
        raise RuntimeError(f"komoju complete {resp.status_code}")
    return resp.headers["Location"]


def komoju_pay_at_store(http: requests.Session, sandbox: str, sid: str) -> None:
    resp = http.post(
        f"{sandbox}/komoju/sessions/{sid}/pay_at_store",
        headers={"Accept": "application/json"},
        timeout=TIMEOUT,
    )
    resp.raise_for_status()


def paysession_pay(http: requests.Session, sandbox: str, sid: str, outcome: str) -> str:
    page = http.get(f"{sandbox}/paysession/checkout/{sid}", timeout=TIMEOUT)
    page.raise_for_status()
    resp = http.post(
        f"{sandbox}/paysession/checkout/{sid}/complete",
        data={"outcome": outcome},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    if resp.status_code != 302:
        raise RuntimeError(f"paysession complete {resp.status_code}")
    return resp.headers["Location"]


def set_mode(sandbox: str, gateway: str, mode: str) -> None:
    """A gateway's server-to-server API (esewa, komoju, paysession) up (`ok`),
    failing (`fail`) or hanging (`hang`)."""
    resp = requests.post(f"{sandbox}/{gateway}/mode", json={"mode": mode}, timeout=10)
    resp.raise_for_status()


def outcome() -> str:
    return "failure" if random.random() < 0.1 else "success"

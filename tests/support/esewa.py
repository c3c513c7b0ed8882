"""Drive the eSewa sandbox over real HTTP, as a customer's browser would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import requests

SECRET = "8gBm/:&EnhH.1/q"
RESPONSE_NAMES = ",".join(
    [
        "transaction_code",
        "status",
        "total_amount",
        "transaction_uuid",
        "product_code",
        "signed_field_names",
    ]
)


def hmac_b64(message: str, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def post_form(init: dict) -> requests.Response:
    """What the hand-off page's auto-submitting form does."""
    resp = requests.post(init["redirectUrl"], data=init["gatewayPayload"], timeout=10)
    assert resp.status_code == 200, resp.text[:500]
    return resp


def pay(live_url: str, init: dict, outcome: str = "success", form: bool = True) -> str:
    """Press Pay or Fail on the sandbox page; return the merchant URL eSewa sends
    the browser to (not followed)."""
    if form:
        post_form(init)
    resp = requests.post(
        f"{live_url}/_sandbox/esewa/pay",
        data={"transaction_uuid": init["gatewayTransactionId"], "outcome": outcome},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302, resp.text[:500]
    return resp.headers["Location"]


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def decode_data(url: str) -> dict:
    data = parse_qs(urlsplit(url).query)["data"][0]
    return json.loads(base64.b64decode(data))


def forge_data(fields: dict, secret: str = SECRET) -> str:
    """A `data` value signed with `secret` over the response fields."""
    fields = dict(fields)
    fields["signed_field_names"] = RESPONSE_NAMES
    message = ",".join(f"{n}={fields[n]}" for n in RESPONSE_NAMES.split(","))
    fields["signature"] = hmac_b64(message, secret)
    return base64.b64encode(json.dumps(fields).encode()).decode()


# The hand-off form's fields, in the order eSewa's documentation lists them.
PAYLOAD_KEYS = [
    "amount",
    "tax_amount",
    "total_amount",
    "transaction_uuid",
    "product_code",
    "product_service_charge",
    "product_delivery_charge",
    "success_url",
    "failure_url",
    "signed_field_names",
    "signature",
]


def assert_handoff(data: dict, live_url: str, total: str) -> None:
    """A payment-init body (seeds 000/001) that hands the browser to the eSewa
    sandbox: a signed form post for `total` (e.g. "2500.00") whose return URLs
    point back at this payment."""
    assert data["initiationType"] == "form_post"
    assert data["redirectUrl"] == f"{live_url}/_sandbox/esewa/api/epay/main/v2/form"
    payload = data["gatewayPayload"]
    assert list(payload) == PAYLOAD_KEYS
    assert payload["amount"] == payload["total_amount"] == total
    assert payload["tax_amount"] == "0.00"
    assert payload["product_service_charge"] == "0.00"
    assert payload["product_delivery_charge"] == "0.00"
    assert payload["product_code"] == "EPAYTEST"
    assert payload["signed_field_names"] == "total_amount,transaction_uuid,product_code"
    pid = data["paymentId"]
    assert data["gatewayTransactionId"] == payload["transaction_uuid"]
    assert data["gatewayTransactionId"].startswith(f"{pid}-")
    assert payload["success_url"] == f"{live_url}/api/payments/redirect/{pid}/success"
    assert payload["failure_url"] == f"{live_url}/api/payments/redirect/{pid}/failure"
    message = (
        f"total_amount={payload['total_amount']},"
        f"transaction_uuid={payload['transaction_uuid']},product_code=EPAYTEST"
    )
    assert payload["signature"] == hmac_b64(message)


def remember_failure(live_url: str, init: dict) -> None:
    """eSewa forgets an abandoned attempt (NOT_FOUND), and a young attempt the
    gateway has no record of is left open (issue #13, finding 8): make the
    sandbox answer CANCELED, a failure it remembers, for tests of failed orders."""
    resp = requests.post(
        f"{live_url}/_sandbox/esewa/transactions/{init['gatewayTransactionId']}/status",
        data={"status": "CANCELED"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text[:300]

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

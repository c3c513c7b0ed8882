"""The eSewa ePay v2 simulator speaks the protocol in gateways.md section 1.

Form payloads are built and callbacks verified with a small signer written here,
independent of both the simulator and the merchant adapter, so a mistake in one
implementation shows up as a failing test instead of cancelling out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.sandbox.esewa import signing

SECRET = "8gBm/:&EnhH.1/q"
RESPONSE_NAMES = (
    "transaction_code,status,total_amount,transaction_uuid,product_code,"
    "signed_field_names"
)
FORM_URL = "/_sandbox/esewa/api/epay/main/v2/form"
STATUS_PATH = "/_sandbox/esewa/api/epay/transaction/status/"
SUCCESS_URL = "https://shop.example.com/pay/esewa/success/42"
FAILURE_URL = "https://shop.example.com/pay/esewa/failure/42"


def hmac_b64(message: str, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def form_payload(
    uuid: str = "ORD-42-a1b2",
    amount: str = "1000",
    tax: str = "300",
    total: str | None = None,
    product_code: str = "EPAYTEST",
    **overrides: str,
) -> dict[str, str]:
    """A correctly signed form post, as a merchant's checkout page would send."""
    total = total if total is not None else amount_sum(amount, tax)
    message = (
        f"total_amount={total},transaction_uuid={uuid},product_code={product_code}"
    )
    payload = {
        "amount": amount,
        "tax_amount": tax,
        "total_amount": total,
        "transaction_uuid": uuid,
        "product_code": product_code,
        "product_service_charge": "0",
        "product_delivery_charge": "0",
        "success_url": SUCCESS_URL,
        "failure_url": FAILURE_URL,
        "signed_field_names": "total_amount,transaction_uuid,product_code",
        "signature": hmac_b64(message),
    }
    payload.update(overrides)
    return payload


def amount_sum(amount: str, tax: str) -> str:
    return str(Decimal(amount) + Decimal(tax))


def txn_keys(redis_client) -> list[bytes]:
    return redis_client.keys("sandbox:esewa:txn:*")


def start(client, **kwargs) -> dict[str, str]:
    payload = form_payload(**kwargs)
    resp = client.post(FORM_URL, data=payload)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return payload


def pay(client, uuid: str, outcome: str = "success"):
    return client.post(
        "/_sandbox/esewa/pay", data={"transaction_uuid": uuid, "outcome": outcome}
    )


def decode_callback(location: str) -> dict:
    parts = urlsplit(location)
    data = parse_qs(parts.query)["data"]
    assert len(data) == 1
    return json.loads(base64.b64decode(data[0], validate=True))


def status_query(live_url: str, uuid: str, total: str, product_code="EPAYTEST"):
    return requests.get(
        live_url + STATUS_PATH,
        params={
            "product_code": product_code,
            "total_amount": total,
            "transaction_uuid": uuid,
        },
        timeout=5,
    )


# --- signing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "total_amount=110,transaction_uuid=241028,product_code=EPAYTEST",
            "i94zsd3oXF6ZsSr/kGqT4sSzYQzjj1W/waxjWyRwaME=",
        ),
        (
            "transaction_code=000AWEO,status=COMPLETE,total_amount=1000.0,"
            "transaction_uuid=250610-162413,product_code=EPAYTEST,"
            f"signed_field_names={RESPONSE_NAMES}",
            "62GcfZTmVkzhtUeh+QJ1AqiJrjoWWGof3U+eTPTZ7fA=",
        ),
        (
            "total_amount=1500,transaction_uuid=ORD-1001-a1b2,product_code=EPAYTEST",
            "5BmjDRmZGBkbzya+NrGsYG1iQncgFZuSWYDDjgRFThM=",
        ),
        (
            "transaction_code=000ABCD,status=COMPLETE,total_amount=1500.0,"
            "transaction_uuid=ORD-1001-a1b2,product_code=EPAYTEST,"
            f"signed_field_names={RESPONSE_NAMES}",
            "GiJXseFjGenMpY4njxQOLaOCDzlutkgZtrflTxGQyQ8=",
        ),
    ],
    ids=["V1", "V2", "V7", "V8"],
)
def test_gateway_test_vectors(message, expected):
    assert signing.sign(message, SECRET) == expected


def test_signing_message_follows_signed_field_names_order():
    fields = {
        "transaction_code": "000AWEO",
        "status": "COMPLETE",
        "total_amount": "1000.0",
        "transaction_uuid": "250610-162413",
        "product_code": "EPAYTEST",
        "signed_field_names": RESPONSE_NAMES,
    }
    message = signing.signing_message(fields, RESPONSE_NAMES)
    assert signing.sign(message, SECRET) == (
        "62GcfZTmVkzhtUeh+QJ1AqiJrjoWWGof3U+eTPTZ7fA="
    )


@pytest.mark.parametrize(
    ("posted", "echoed"),
    [
        ("2500", "2500.0"),
        ("2500.00", "2500.0"),
        ("1300.50", "1300.5"),
        ("100.25", "100.25"),
        ("10000", "10000.0"),
    ],
)
def test_callback_amount_prints_one_decimal_for_whole_amounts(posted, echoed):
    assert signing.callback_amount(posted) == echoed


# --- form ---------------------------------------------------------------------


def test_signed_form_is_accepted_and_shows_pay_page(client, redis_client):
    payload = form_payload(amount="1000", tax="300")
    resp = client.post(FORM_URL, data=payload)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'id="esewa-pay"' in html and 'id="esewa-fail"' in html
    assert ">Pay</button>" in html and ">Fail</button>" in html
    assert "EPAYTEST" in html and "1300" in html and "1000" in html
    assert 'action="/_sandbox/esewa/pay"' in html
    assert 'name="outcome" value="success"' in html
    assert 'name="outcome" value="failure"' in html
    record = json.loads(redis_client.get("sandbox:esewa:txn:ORD-42-a1b2"))
    assert record["status"] == "PENDING"
    assert record["fields"] == payload
    assert record["created_at"]


def test_docs_demo_form_is_accepted(client):
    payload = form_payload(uuid="241028", amount="100", tax="10")
    assert payload["signature"] == "i94zsd3oXF6ZsSr/kGqT4sSzYQzjj1W/waxjWyRwaME="
    assert client.post(FORM_URL, data=payload).status_code == 200


def _missing_tax() -> dict[str, str]:
    payload = form_payload()
    del payload["tax_amount"]
    return payload


def _tampered_amount() -> dict[str, str]:
    payload = form_payload(amount="1000", tax="300")
    payload.update(amount="10", tax_amount="0", total_amount="10")
    return payload


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (_missing_tax(), "Missing or empty field: tax_amount"),
        (form_payload(signature=""), "Missing or empty field: signature"),
        (form_payload(product_delivery_charge=" "), "product_delivery_charge"),
        (form_payload(total="1400"), "does not equal"),
        (form_payload(amount="abc", total="1300"), "amount must be a non-negative"),
        (form_payload(uuid="txn_0002"), "letters, digits and hyphens"),
        (form_payload(uuid="ORD 42"), "letters, digits and hyphens"),
        (
            form_payload(product_code="OTHERSHOP"),
            "Unable to fetch merchant key. Please try again later.",
        ),
        (form_payload(signature=hmac_b64("forged", "wrong")), "Invalid signature"),
        (form_payload(total_amount="1300.0"), "Invalid signature"),
        (_tampered_amount(), "Invalid signature"),
        (
            form_payload(
                signed_field_names="transaction_uuid,total_amount,product_code"
            ),
            "signed_field_names must be exactly",
        ),
        (
            form_payload(
                signed_field_names="total_amount,transaction_uuid,product_code,"
            ),
            "signed_field_names must be exactly",
        ),
    ],
    ids=[
        "missing-field",
        "empty-signature",
        "blank-charge",
        "bad-total-sum",
        "non-numeric-amount",
        "underscore-uuid",
        "space-uuid",
        "wrong-product-code",
        "forged-signature",
        "total-reformatted",
        "tampered-amount",
        "field-order",
        "trailing-comma",
    ],
)
def test_invalid_form_is_refused_and_not_recorded(
    client, redis_client, payload, message
):
    resp = client.post(FORM_URL, data=payload)
    assert resp.status_code == 400
    assert resp.mimetype == "text/html"
    assert message in resp.get_data(as_text=True).replace("&#34;", '"')
    assert txn_keys(redis_client) == []
    assert redis_client.llen("sandbox:esewa:recent") == 0


def test_total_includes_service_and_delivery_charges(client):
    payload = form_payload(
        amount="100",
        tax="13",
        total="128.5",
        product_service_charge="10",
        product_delivery_charge="5.5",
    )
    assert client.post(FORM_URL, data=payload).status_code == 200


def test_repost_of_pending_is_allowed_but_completed_is_refused(client, redis_client):
    start(client)
    start(client)
    assert pay(client, "ORD-42-a1b2").status_code == 302
    resp = client.post(FORM_URL, data=form_payload())
    assert resp.status_code == 400
    assert "Duplicate" in resp.get_data(as_text=True)
    record = json.loads(redis_client.get("sandbox:esewa:txn:ORD-42-a1b2"))
    assert record["status"] == "COMPLETE"


# --- pay ----------------------------------------------------------------------


def test_pay_success_redirects_with_signed_data(client, redis_client):
    start(client, uuid="ORD-7-x", amount="1000", tax="300")
    resp = pay(client, "ORD-7-x")
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith(SUCCESS_URL + "?data=")
    data = decode_callback(location)
    assert list(data) == [
        "transaction_code",
        "status",
        "total_amount",
        "transaction_uuid",
        "product_code",
        "signed_field_names",
        "signature",
    ]
    assert re.fullmatch(r"[A-Z0-9]{7}", data["transaction_code"])
    assert data["status"] == "COMPLETE"
    assert data["total_amount"] == "1300.0"
    assert data["transaction_uuid"] == "ORD-7-x"
    assert data["product_code"] == "EPAYTEST"
    assert data["signed_field_names"] == RESPONSE_NAMES
    message = ",".join(f"{n}={data[n]}" for n in RESPONSE_NAMES.split(","))
    assert hmac.compare_digest(data["signature"], hmac_b64(message))
    record = json.loads(redis_client.get("sandbox:esewa:txn:ORD-7-x"))
    assert record["status"] == "COMPLETE"
    assert record["transaction_code"] == data["transaction_code"]


def test_callback_json_is_compact_standard_base64(client):
    start(client, uuid="ORD-8", amount="1300.50", tax="0", total="1300.50")
    location = pay(client, "ORD-8").headers["Location"]
    raw = base64.b64decode(parse_qs(urlsplit(location).query)["data"][0])
    assert b", " not in raw and b'": ' not in raw
    assert json.loads(raw)["total_amount"] == "1300.5"


def test_success_url_with_query_gets_ampersand(client):
    start(client, uuid="ORD-9", success_url=SUCCESS_URL + "?lang=en")
    location = pay(client, "ORD-9").headers["Location"]
    assert location.startswith(SUCCESS_URL + "?lang=en&data=")
    assert parse_qs(urlsplit(location).query)["lang"] == ["en"]
    assert decode_callback(location)["transaction_uuid"] == "ORD-9"


def test_pay_failure_redirects_to_failure_url_as_given(client, redis_client):
    start(client, uuid="ORD-10")
    resp = pay(client, "ORD-10", "failure")
    assert resp.status_code == 302
    assert resp.headers["Location"] == FAILURE_URL
    record = json.loads(redis_client.get("sandbox:esewa:txn:ORD-10"))
    assert record["status"] == "NOT_FOUND"


def test_late_success_after_failure_completes(client, live_url):
    start(client, uuid="ORD-11")
    assert pay(client, "ORD-11", "failure").status_code == 302
    assert status_query(live_url, "ORD-11", "1300").json()["status"] == "NOT_FOUND"
    resp = pay(client, "ORD-11", "success")
    assert resp.status_code == 302
    data = decode_callback(resp.headers["Location"])
    body = status_query(live_url, "ORD-11", "1300").json()
    assert body["status"] == "COMPLETE"
    assert body["ref_id"] == data["transaction_code"]


def test_replayed_success_reissues_same_redirect(client):
    start(client, uuid="ORD-12")
    first = pay(client, "ORD-12").headers["Location"]
    second = pay(client, "ORD-12").headers["Location"]
    assert first == second


def test_failure_after_completion_keeps_payment(client, redis_client):
    start(client, uuid="ORD-13")
    pay(client, "ORD-13")
    resp = pay(client, "ORD-13", "failure")
    assert resp.headers["Location"] == FAILURE_URL
    record = json.loads(redis_client.get("sandbox:esewa:txn:ORD-13"))
    assert record["status"] == "COMPLETE"


def test_pay_unknown_uuid_is_404_and_bad_outcome_is_400(client):
    assert pay(client, "NOPE").status_code == 404
    start(client, uuid="ORD-14")
    assert pay(client, "ORD-14", "maybe").status_code == 400


# --- status API ---------------------------------------------------------------


def test_status_api_before_and_after_payment(client, live_url):
    start(client, uuid="ORD-20", amount="1000", tax="300")
    before = status_query(live_url, "ORD-20", "1300")
    assert before.status_code == 200
    assert before.json() == {
        "product_code": "EPAYTEST",
        "transaction_uuid": "ORD-20",
        "total_amount": 1300.0,
        "status": "PENDING",
        "ref_id": None,
    }
    code = decode_callback(pay(client, "ORD-20").headers["Location"])[
        "transaction_code"
    ]
    after = status_query(live_url, "ORD-20", "1300.0")
    assert after.json()["status"] == "COMPLETE"
    assert after.json()["ref_id"] == code
    # A JSON number, not a string: the status API differs from the callback here.
    assert re.search(r'"total_amount":\s*1300\.0[,}]', after.text)


@pytest.mark.parametrize("total", ["1300", "1300.0", "1,300.0", "1,300.00"])
def test_status_api_matches_total_numerically(client, live_url, total):
    start(client, uuid="ORD-21")
    pay(client, "ORD-21")
    assert status_query(live_url, "ORD-21", total).json()["status"] == "COMPLETE"


@pytest.mark.parametrize(
    ("uuid", "total", "product_code"),
    [
        ("ORD-22", "1299", "EPAYTEST"),
        ("ORD-22", "13000", "EPAYTEST"),
        ("ORD-22", "1300", "OTHERSHOP"),
        ("ORD-unknown", "1300", "EPAYTEST"),
    ],
    ids=["lower-amount", "higher-amount", "other-merchant", "unknown-uuid"],
)
def test_status_api_mismatch_is_not_found(client, live_url, uuid, total, product_code):
    start(client, uuid="ORD-22")
    pay(client, "ORD-22")
    body = status_query(live_url, uuid, total, product_code).json()
    assert body["status"] == "NOT_FOUND"
    assert body["ref_id"] is None


def test_status_api_without_trailing_slash(client, live_url):
    start(client, uuid="ORD-23")
    resp = requests.get(
        live_url + STATUS_PATH.rstrip("/"),
        params={
            "product_code": "EPAYTEST",
            "total_amount": "1300",
            "transaction_uuid": "ORD-23",
        },
        timeout=5,
        allow_redirects=False,
    )
    assert resp.status_code == 200
    assert resp.json()["status"] == "PENDING"


def test_status_api_missing_parameter_is_400(live_url):
    resp = requests.get(
        live_url + STATUS_PATH,
        params={"product_code": "EPAYTEST", "transaction_uuid": "X"},
        timeout=5,
    )
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == 0 and "total_amount" in body["error_message"]


# --- fault modes --------------------------------------------------------------


def test_fail_mode_makes_status_api_unavailable(client, live_url):
    assert client.get("/_sandbox/esewa/mode").get_json() == {"mode": "ok"}
    assert client.post("/_sandbox/esewa/mode", data={"mode": "fail"}).status_code == 200
    assert client.get("/_sandbox/esewa/mode").get_json() == {"mode": "fail"}
    resp = status_query(live_url, "ORD-30", "1300")
    assert resp.status_code == 503
    assert resp.json() == {
        "code": 0,
        "error_message": "Service is currently unavailable",
    }
    # The browser pages keep working in fail mode.
    start(client, uuid="ORD-30")
    assert pay(client, "ORD-30").status_code == 302
    client.post("/_sandbox/esewa/mode", json={"mode": "ok"})
    assert status_query(live_url, "ORD-30", "1300").json()["status"] == "COMPLETE"


def test_hang_mode_delays_status_api(app, client, live_url, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_HANG_SECONDS", 1.0)
    client.post("/_sandbox/esewa/mode", json={"mode": "hang"})
    with pytest.raises(requests.Timeout):
        requests.get(
            live_url + STATUS_PATH,
            params={
                "product_code": "EPAYTEST",
                "total_amount": "1",
                "transaction_uuid": "X",
            },
            timeout=0.3,
        )
    monkeypatch.setitem(app.config, "SANDBOX_HANG_SECONDS", 0.2)
    started = time.monotonic()
    resp = status_query(live_url, "X", "1")
    assert time.monotonic() - started >= 0.2
    assert resp.json()["status"] == "NOT_FOUND"


def test_unknown_mode_is_refused(client):
    resp = client.post("/_sandbox/esewa/mode", data={"mode": "explode"})
    assert resp.status_code == 400
    assert client.get("/_sandbox/esewa/mode").get_json() == {"mode": "ok"}


# --- test helpers and index -----------------------------------------------------


def test_forced_status_shows_in_status_api(client, live_url):
    start(client, uuid="ORD-40")
    resp = client.post(
        "/_sandbox/esewa/transactions/ORD-40/status", data={"status": "COMPLETE"}
    )
    assert resp.status_code == 200
    code = resp.get_json()["transaction_code"]
    assert re.fullmatch(r"[A-Z0-9]{7}", code)
    client.post(
        "/_sandbox/esewa/transactions/ORD-40/status", json={"status": "FULL_REFUND"}
    )
    body = status_query(live_url, "ORD-40", "1300").json()
    assert body["status"] == "FULL_REFUND" and body["ref_id"] == code


def test_forced_status_rejects_unknown_uuid_and_status(client):
    url = "/_sandbox/esewa/transactions/{}/status"
    assert (
        client.post(url.format("NOPE"), data={"status": "COMPLETE"}).status_code == 404
    )
    start(client, uuid="ORD-41")
    assert client.post(url.format("ORD-41"), data={"status": "PAID"}).status_code == 400


def test_index_lists_recent_transactions(client):
    start(client, uuid="ORD-50")
    start(client, uuid="ORD-51", amount="2000", tax="500")
    pay(client, "ORD-51")
    html = client.get("/_sandbox/esewa/").get_data(as_text=True)
    assert "ORD-50" in html and "ORD-51" in html
    assert "2500" in html and "COMPLETE" in html and "PENDING" in html


def test_cross_site_posts_need_no_csrf_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    start(client, uuid="ORD-60")
    assert pay(client, "ORD-60").status_code == 302
    assert client.post("/_sandbox/esewa/mode", data={"mode": "ok"}).status_code == 200

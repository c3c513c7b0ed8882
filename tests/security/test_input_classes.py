"""Issue #13 finding 3: two classes of input that answered 500 — JSON nested
past the parser's recursion, and Unicode digits where a number is expected —
are clear 400s everywhere."""

from __future__ import annotations

import json

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import NotFound

from app.digits import ascii_int
from app.http.json_depth import MAX_JSON_DEPTH, too_deep

DEEP = "[" * 3000 + "]" * 3000
DEEP_IN_OBJECT = '{"email": ' + "[" * 1000 + "]" * 1000 + ', "password": "x"}'


def _is_dto_error(body) -> bool:
    return (
        isinstance(body, dict)
        and set(body) == {"success", "data", "error"}
        and body["success"] is False
        and {"code", "message"} <= set(body["error"])
    )


def test_token_endpoint_answers_400_to_3000_levels_over_http(live_url):
    resp = requests.post(
        f"{live_url}/api/auth/token",
        data=DEEP,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert resp.status_code == 400, resp.text[:300]
    body = resp.json()
    assert _is_dto_error(body)
    assert body["error"]["code"] == "BAD_REQUEST"
    assert str(MAX_JSON_DEPTH) in body["error"]["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/auth/token",
        "/api/orders/checkout",
        "/api/mobile/orders/checkout",
        "/api/payments/webhooks/komoju",
        "/api/payments/webhooks/paysession",
        "/api/payments/redirect/1/success",
    ],
)
@pytest.mark.parametrize("payload", [DEEP, DEEP_IN_OBJECT, "{" * 2000])
def test_deep_json_is_a_400_dto_on_every_json_endpoint(client, path, payload):
    resp = client.post(path, data=payload, content_type="application/json")
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert _is_dto_error(resp.get_json())


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/x-www-form-urlencoded", None]
)
def test_deep_json_on_the_rpc_is_a_400(client, db, content_type):
    """The RPC reads its body as JSON whatever the content type says."""
    from app.accounts.merchant_keys import create_merchant_key

    raw, _key = create_merchant_key("Acme Books")
    db.session.commit()
    resp = client.post(
        "/rpc/payment.v1.PaymentService/CreateOrder",
        data=DEEP,
        content_type=content_type,
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert resp.status_code == 400


def test_deep_json_with_a_token_is_a_400(shop):
    resp = shop.api.client.post(
        "/api/orders/checkout",
        data=DEEP,
        content_type="application/json",
        headers=shop.api.headers(),
    )
    assert resp.status_code == 400
    assert _is_dto_error(resp.get_json())


def test_brackets_inside_strings_do_not_count(client):
    body = json.dumps({"email": "[" * 1500, "password": '{\\"' * 100})
    resp = client.post("/api/auth/token", data=body, content_type="application/json")
    assert resp.status_code == 401  # read, and simply the wrong credentials


# --- properties ------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=30,
)


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=300)
@given(value=JSON_VALUES, limit=st.integers(min_value=0, max_value=8))
def test_depth_count_matches_the_parsed_structure(value, limit):
    data = json.dumps(value).encode()
    assert too_deep(data, limit) == (_depth(value) > limit)


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_depth_check_never_crashes_on_garbage(data):
    too_deep(data, 4)


@given(st.integers(min_value=0, max_value=10**9 - 1))
def test_ascii_int_reads_plain_numbers(n):
    assert ascii_int(str(n)) == n


UNICODE_DIGITS = st.characters(
    categories=["Nd", "No", "Nl"], exclude_characters="0123456789"
)


@settings(max_examples=300)
@given(
    prefix=st.text(alphabet="0123456789", max_size=3),
    odd=UNICODE_DIGITS | st.sampled_from([" ", "_", "+", "-", "\n", "."]),
    suffix=st.text(alphabet="0123456789", max_size=3),
)
def test_ascii_int_refuses_anything_but_ascii_digits(prefix, odd, suffix):
    assert ascii_int(prefix + odd + suffix) is None


def test_route_ids_are_ascii_digits_only(app):
    """`/api/payments/redirect/١٢/success` is no alias of payment 12: no route."""
    urls = app.url_map.bind("shop.test")
    assert urls.match("/api/payments/redirect/12/success")[1]["payment_id"] == 12
    for path in (
        "/api/payments/redirect/١٢/success",
        "/api/payments/redirect/１２/failure",
    ):
        with pytest.raises(NotFound):
            urls.match(path)


def test_tax_numbers_are_ascii_digits_only():
    from app.tax.registration import is_valid, normalise

    assert is_valid("NP", "123456789")
    for number in ("１２３４５６７８９", "١٢٣٤٥٦٧٨٩", "123456789\n"):
        assert not is_valid("NP", number), number
    assert normalise("JP", "１２３４５６７８９０１２３") == "１２３４５６７８９０１２３"
    assert not is_valid("JP", "T１２３４５６７８９０１２３")

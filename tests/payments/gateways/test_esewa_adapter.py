"""The eSewa adapter against every callback format real eSewa sends.

Each formatting pitfall listed in ../shared/gateways.md §1 is one case here, and
each kind of tampering is refused. Callbacks are signed in this file with its own
HMAC, independent of both the adapter and the sandbox. Status-check replies come
over real HTTP: from the sandbox's status modes, and from a tiny server on
loopback that answers whatever a case needs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.payments.gateways import base as gw
from app.payments.gateways.esewa import EsewaGateway

SECRET = "8gBm/:&EnhH.1/q"
NAMES = (
    "transaction_code,status,total_amount,transaction_uuid,product_code,"
    "signed_field_names"
)
UUID = "42-1733900000000"
STATUS_PATH = "/_sandbox/esewa/api/epay/transaction/status/"


def hmac_b64(message: str, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_fields(
    total: str = "2700.0",
    uuid: str = UUID,
    status: str = "COMPLETE",
    product_code: str = "EPAYTEST",
    names: str = NAMES,
    secret: str = SECRET,
) -> dict:
    """A callback as eSewa signs it: every value is signed as literal text."""
    fields = {
        "transaction_code": "000AWEO",
        "status": status,
        "total_amount": total,
        "transaction_uuid": uuid,
        "product_code": product_code,
        "signed_field_names": names,
    }
    message = ",".join(f"{name}={fields[name]}" for name in names.split(","))
    return {**fields, "signature": hmac_b64(message, secret)}


def encode(fields: dict, raw_json: str | None = None) -> str:
    text = (
        raw_json if raw_json is not None else json.dumps(fields, separators=(",", ":"))
    )
    return base64.b64encode(text.encode()).decode()


def with_number(fields: dict, literal: str) -> str:
    """The compact JSON with `total_amount` as a bare JSON number `literal`."""
    text = json.dumps({**fields, "total_amount": "@@"}, separators=(",", ":"))
    return text.replace('"@@"', literal)


def gateway(status_url: str = "http://127.0.0.1:9/status") -> EsewaGateway:
    return EsewaGateway("EPAYTEST", SECRET, "http://127.0.0.1:9/form", status_url, 3)


def ref(amount: int = 270000, uuid: str = UUID) -> gw.PaymentRef:
    return gw.PaymentRef(42, amount, "NPR", uuid, None)


def verify(params: dict, amount: int = 270000, uuid: str = UUID) -> gw.GatewayResult:
    return gateway().verify_redirect(ref(amount, uuid), params)


def query_params(url: str) -> dict:
    """What Flask's `request.values` gives the shop for this return URL."""
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


# --- every format real eSewa sends is accepted ---------------------------------


def test_docs_success_example_verifies():
    """gateways.md V2: the docs' own callback, "1000.0" for a 1000 payment."""
    fields = signed_fields(total="1000.0", uuid="250610-162413")
    assert fields["signature"] == "62GcfZTmVkzhtUeh+QJ1AqiJrjoWWGof3U+eTPTZ7fA="
    result = verify({"data": encode(fields)}, 100000, "250610-162413")
    assert (result.status, result.amount, result.reference) == (
        gw.CAPTURED,
        100000,
        "000AWEO",
    )


@pytest.mark.parametrize(
    ("signed_total", "shown"),
    [
        ("2700.0", '"2700.0"'),  # §1.5: a string with one decimal place
        ("2700.0", '"2,700.0"'),  # §1.5: a separator the signature lacks
        ("2,700.0", '"2,700.0"'),  # the same, had eSewa signed what it showed
        ("2700.0", "2700.0"),  # §1.5 conflict: the docs print a JSON number
        ("2700.0", "2700"),  # a JSON integer for the same amount
        ("2700", '"2700"'),  # signed as posted in the docs' form example
        ("2700.00", '"2700.00"'),  # signed exactly as the merchant posted it
        ("2700.0", "2.7E+3"),  # a number in exponent notation
    ],
    ids=[
        "string-N.0",
        "thousands-separator",
        "thousands-signed",
        "json-number",
        "json-integer",
        "integer-string",
        "two-decimals",
        "exponent",
    ],
)
def test_every_spelling_of_the_amount_verifies(signed_total, shown):
    fields = signed_fields(total=signed_total)
    data = encode(fields, with_number(fields, shown))
    result = verify({"data": data})
    assert (result.status, result.amount, result.currency) == (
        gw.CAPTURED,
        270000,
        "NPR",
    )


def test_fractional_amounts_verify_in_each_spelling():
    for signed_total, shown in (("1300.5", '"1,300.5"'), ("1300.5", "1300.50")):
        fields = signed_fields(total=signed_total)
        assert verify({"data": encode(fields, with_number(fields, shown))}, 130050)


def test_data_appended_with_a_question_mark_to_a_url_with_a_query():
    """§1.5: `?data=` glued onto `/success?lang=en` arrives inside `lang`."""
    data = encode(signed_fields())
    url = f"https://shop.example/success?lang=en?data={quote(data, safe='')}"
    params = query_params(url)
    assert "data" not in params
    assert verify(params).status == gw.CAPTURED


def test_unescaped_base64_plus_read_as_a_space():
    """A `+` in an unescaped `data` reaches the shop as a space. Base64 of ASCII
    JSON has a `+` only where a `~` or `>` sits at a third byte, so an extra
    unsigned field with `~~~` puts one there."""
    data = encode({**signed_fields(), "note": "~~~"})
    assert "+" in data
    params = query_params(f"https://shop.example/success?data={data}")
    assert " " in params["data"]
    assert verify(params).status == gw.CAPTURED


def test_base64_without_padding_or_in_the_url_safe_alphabet():
    fields = signed_fields(uuid="42-17")
    data = encode(fields)
    assert verify({"data": data.rstrip("=")}, uuid="42-17")
    urlsafe = data.replace("+", "-").replace("/", "_")
    assert verify({"data": urlsafe}, uuid="42-17")


def test_pretty_printed_json_as_in_the_docs():
    fields = signed_fields()
    assert verify({"data": encode(fields, json.dumps(fields, indent=2))})


def test_fields_are_signed_in_the_order_the_callback_lists_them():
    """eSewa signs in `signed_field_names` order, whatever that order is."""
    names = (
        "status,transaction_code,transaction_uuid,total_amount,product_code,"
        "signed_field_names"
    )
    assert verify({"data": encode(signed_fields(names=names))})


def test_posted_form_never_makes_the_known_request_mistakes():
    """§1.8 pitfalls: sign total_amount (not amount), in the documented order,
    with no trailing comma, with the 15-character key, and a uuid of letters,
    digits and hyphens only."""
    request = gw.PaymentRequest(
        42, 270000, "NPR", "two courses", "esewa", "https://s/ok", "https://s/no"
    )
    payload = gateway().create_handoff(request).payload
    assert payload["signed_field_names"] == "total_amount,transaction_uuid,product_code"
    message = (
        f"total_amount={payload['total_amount']},"
        f"transaction_uuid={payload['transaction_uuid']},product_code=EPAYTEST"
    )
    assert payload["signature"] == hmac_b64(message)
    assert payload["total_amount"] == "2700.00" != "2,700.00"
    assert all(c.isalnum() or c == "-" for c in payload["transaction_uuid"])


# --- every kind of tampering is refused ----------------------------------------


def tampered(fields: dict, **changes) -> dict:
    return {"data": encode({**fields, **changes})}


@pytest.mark.parametrize(
    "changes",
    [
        {"total_amount": "27.0"},
        {"total_amount": "1,2700.0"},  # a misplaced separator is not eSewa's
        {"total_amount": "2,700.1"},
        {"transaction_uuid": "43-1733900000000"},
        {"product_code": "OTHERSHOP"},
        {"status": "PENDING"},
        {"transaction_code": "000XXXX"},
        {"signature": "i94zsd3oXF6ZsSr/kGqT4sSzYQzjj1W/waxjWyRwaME="},
        {"signature": ""},
        {"signature": "zażółć"},  # non-ASCII: a refusal, not a TypeError
    ],
    ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()),
)
def test_changing_any_signed_field_breaks_the_signature(changes):
    with pytest.raises(gw.InvalidSignature) as caught:
        verify(tampered(signed_fields(), **changes))
    assert caught.type is gw.InvalidSignature


@pytest.mark.parametrize(
    "kwargs",
    [
        {"total": "27.0"},  # authentic, but not what this order costs
        {"uuid": "43-1733900000000"},  # another attempt's genuine callback
        {"product_code": "OTHERSHOP"},  # another merchant's code
    ],
)
def test_authentic_callback_for_something_else_is_a_mismatch(kwargs):
    with pytest.raises(gw.InvalidSignature) as caught:
        verify({"data": encode(signed_fields(**kwargs))})
    assert caught.type.__name__ == "AmountMismatch"


@pytest.mark.parametrize(
    "names",
    [
        "transaction_code,total_amount,transaction_uuid,product_code,"
        "signed_field_names",  # status unsigned
        "transaction_code,status,total_amount,transaction_uuid,signed_field_names",
        "transaction_code,status,transaction_uuid,product_code,signed_field_names",
        NAMES + ",",  # §1.8: the trailing comma of public code
        "",
    ],
    ids=["no-status", "no-product-code", "no-amount", "trailing-comma", "empty"],
)
def test_a_signature_that_leaves_a_field_unsigned_is_refused(names):
    if names and not names.endswith(","):
        fields = signed_fields(names=names)  # genuinely signed, over too little
    else:
        fields = {**signed_fields(), "signed_field_names": names}
    with pytest.raises(gw.InvalidSignature):
        verify({"data": encode(fields)})


def test_key_with_the_docs_remark_parenthesis_is_not_ours():
    """§1.3: some public code signs with `8gBm/:&EnhH.1/q(`; that is not the key."""
    with pytest.raises(gw.InvalidSignature):
        verify({"data": encode(signed_fields(secret=SECRET + "("))})


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"data": ""},
        {"data": "not-base64!!"},
        {"data": base64.b64encode(b"[1,2]").decode()},
        {"data": base64.b64encode(b'{"total_amount": NaN}').decode()},
        {"data": "A" * 5000},
        {"lang": "en"},
    ],
    ids=["none", "empty", "not-base64", "array", "nan", "too-long", "no-data"],
)
def test_garbage_returns_are_refused_cleanly(params):
    with pytest.raises(gw.InvalidSignature):
        verify(params)


def test_docs_sample_with_its_dropped_character_is_refused():
    """§1.5: the docs' base64 sample misses a character; it must not verify."""
    data = encode(signed_fields(total="1000.0", uuid="250610-162413"))
    broken = data[:5] + data[6:]
    with pytest.raises(gw.InvalidSignature):
        verify({"data": broken}, 100000, "250610-162413")


# --- status check: only the documented JSON is an answer ------------------------


def sandbox_gateway(live_url: str) -> EsewaGateway:
    return gateway(f"{live_url}{STATUS_PATH}")


def set_status_mode(live_url: str, mode: str) -> None:
    resp = requests.post(
        f"{live_url}/_sandbox/esewa/mode", json={"mode": mode}, timeout=5
    )
    assert resp.json() == {"mode": mode}


@pytest.mark.parametrize("mode", ["null", "number", "html", "empty", "error", "fail"])
def test_status_replies_that_are_not_the_documented_json_mean_no_answer(
    app, live_url, mode
):
    set_status_mode(live_url, mode)
    with pytest.raises(gw.GatewayError):
        sandbox_gateway(live_url).fetch_status(ref())
    set_status_mode(live_url, "ok")
    assert sandbox_gateway(live_url).fetch_status(ref()).status == gw.NOT_FOUND


class CannedStatus:
    """A status endpoint on loopback answering the queued (status, body) pairs."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, str, str]] = []
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/status/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __call__(self, environ, start_response):
        Request(environ)
        status, body, mimetype = self.replies.pop(0)
        return Response(body, status=status, mimetype=mimetype)(environ, start_response)


@pytest.fixture
def canned():
    server = CannedStatus()
    yield server
    server.server.shutdown()
    server.server.server_close()


def status_json(**overrides) -> str:
    body = {
        "product_code": "EPAYTEST",
        "transaction_uuid": UUID,
        "total_amount": 2700.0,
        "status": "COMPLETE",
        "ref_id": "0007G36",
        **overrides,
    }
    return json.dumps(body)


@pytest.mark.parametrize(
    "reply",
    [
        (200, "null", "application/json"),
        (200, "0", "application/json"),
        (200, "12.5", "application/json"),
        (200, '"COMPLETE"', "application/json"),
        (200, "[]", "application/json"),
        (200, "", "application/json"),
        (200, "<html><body>Gateway Timeout</body></html>", "text/html"),
        (502, "<html>Bad Gateway</html>", "text/html"),
        (
            200,
            '{"code":0,"error_message":"Service is currently unavailable"}',
            "application/json",
        ),
        (400, '{"code":0,"error_message":"Invalid request"}', "application/json"),
        (404, "Not Found", "text/plain"),
        (200, "\xff\xfe", "application/json"),
        (200, status_json(status=None), "application/json"),
        (200, status_json(status=""), "application/json"),
        (200, status_json(transaction_uuid="43-1"), "application/json"),
        (200, status_json(total_amount="lots"), "application/json"),
        (200, status_json(total_amount=None), "application/json"),
    ],
    ids=[
        "null",
        "bare-number",
        "bare-float",
        "bare-string",
        "array",
        "empty",
        "proxy-html-200",
        "proxy-html-502",
        "error-object-200",
        "error-object-400",
        "plain-404",
        "not-utf8",
        "status-null",
        "status-empty",
        "other-transaction",
        "complete-amount-garbage",
        "complete-amount-missing",
    ],
)
def test_status_reply_without_an_answer_is_a_gateway_error(canned, reply):
    canned.replies.append(reply)
    with pytest.raises(gw.GatewayError):
        gateway(canned.url).fetch_status(ref())


@pytest.mark.parametrize(
    ("body", "status", "amount"),
    [
        (status_json(), gw.CAPTURED, 270000),
        (status_json(total_amount="2,700.0"), gw.CAPTURED, 270000),
        (status_json(total_amount=2700), gw.CAPTURED, 270000),
        (status_json(status="PENDING", ref_id=None), gw.PENDING, 270000),
        (
            status_json(status="NOT_FOUND", ref_id=None, total_amount=None),
            gw.NOT_FOUND,
            None,
        ),
        (status_json(status="CANCELED"), gw.CANCELLED, 270000),
        (status_json(status="FULL_REFUND"), gw.REFUNDED, 270000),
        (status_json(status="AMBIGUOUS"), gw.PENDING, 270000),
        (status_json(status="SOMETHING_NEW"), gw.PENDING, 270000),
    ],
    ids=[
        "complete",
        "amount-with-separator",
        "integer-amount",
        "pending",
        "not-found",
        "canceled-one-l",
        "full-refund",
        "ambiguous",
        "unknown-status",
    ],
)
def test_documented_answers_map_onto_our_statuses(canned, body, status, amount):
    canned.replies.append((200, body, "application/json"))
    result = gateway(canned.url).fetch_status(ref())
    assert (result.status, result.amount) == (status, amount)

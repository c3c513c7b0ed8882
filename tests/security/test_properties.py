"""Property tests: money arithmetic and signature checks hold for any input."""

from __future__ import annotations

import base64
import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.money import format_amount, parse_amount
from app.payments.gateways.base import InvalidSignature, PaymentRef
from app.payments.gateways.esewa import EsewaGateway, sign
from tests.support import esewa as esewa_support

CURRENCIES = st.sampled_from(["NPR", "INR", "JPY", "USD"])


@given(minor=st.integers(min_value=-(10**12), max_value=10**12), currency=CURRENCIES)
def test_format_then_parse_is_identity(minor, currency):
    assert parse_amount(format_amount(minor, currency), currency) == minor


@given(
    minor=st.integers(min_value=0, max_value=10**9),
    extra=st.integers(min_value=1, max_value=9),
)
def test_sub_minor_precision_is_refused(minor, extra):
    text = format_amount(minor, "NPR") + str(extra)  # a third decimal place
    with pytest.raises(ValueError):
        parse_amount(text, "NPR")


@given(st.text(max_size=20))
def test_parse_amount_never_crashes_on_garbage(text):
    with contextlib.suppress(ValueError):
        parse_amount(text, "NPR")


GATEWAY = EsewaGateway(
    "EPAYTEST", esewa_support.SECRET, "http://x/form", "http://x/status"
)
REF = PaymentRef(
    payment_id=7,
    amount=130000,
    currency="NPR",
    gateway_txn_id="7-1774884775940",
    gateway_reference=None,
)
FIELDS = {
    "transaction_code": "000AWEO",
    "status": "COMPLETE",
    "total_amount": "1300.0",
    "transaction_uuid": "7-1774884775940",
    "product_code": "EPAYTEST",
}


def _data(fields: dict) -> str:
    return esewa_support.forge_data(fields)


def test_genuine_redirect_verifies():
    result = GATEWAY.verify_redirect(REF, {"data": _data(FIELDS)})
    assert result.status == "captured" and result.amount == 130000


@settings(max_examples=200)
@given(
    field=st.sampled_from(sorted(FIELDS)),
    replacement=st.text(min_size=1, max_size=12),
)
def test_any_changed_field_without_resigning_is_rejected(field, replacement):
    genuine = json.loads(base64.b64decode(_data(FIELDS)))
    if genuine[field] == replacement:
        return
    genuine[field] = replacement
    tampered = base64.b64encode(json.dumps(genuine).encode()).decode()
    with pytest.raises(InvalidSignature):
        GATEWAY.verify_redirect(REF, {"data": tampered})


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_arbitrary_data_parameter_is_rejected_cleanly(blob):
    with pytest.raises(InvalidSignature):
        GATEWAY.verify_redirect(REF, {"data": base64.b64encode(blob).decode()})


@given(st.text(max_size=200))
def test_arbitrary_text_data_parameter_is_rejected_cleanly(text):
    with pytest.raises(InvalidSignature):
        GATEWAY.verify_redirect(REF, {"data": text})


def test_signature_matches_published_vector():
    fields = {
        "total_amount": "110",
        "transaction_uuid": "241028",
        "product_code": "EPAYTEST",
    }
    assert (
        sign(esewa_support.SECRET, fields, "total_amount,transaction_uuid,product_code")
        == "i94zsd3oXF6ZsSr/kGqT4sSzYQzjj1W/waxjWyRwaME="
    )


KOMOJU_BODY = (
    b'{"id":"evt_test_0001","type":"payment.captured","resource":"event","data":'
    b'{"id":"pay_test_0001","resource":"payment","status":"captured","amount":1200,'
    b'"tax":0,"total":1200,"currency":"JPY","external_order_num":"ORDER-42",'
    b'"session":"sess_test_0001"},"created_at":"2024-01-01T00:00:00Z","reason":null}'
)


def _komoju():
    from app.payments.gateways.komoju import KomojuGateway

    return KomojuGateway("http://x/api/v1", "sk_test", "whsec_komoju_demo")


def test_komoju_published_style_vector_verifies():
    from app.payments.gateways.komoju import sign as komoju_sign

    signature = komoju_sign("whsec_komoju_demo", KOMOJU_BODY)
    assert signature == (
        "ec0dbbf133143e73b8511874afa6d945c9bccec3baea969c5b5ba8cd24378e6e"
    )
    message = _komoju().verify_webhook({"x-komoju-signature": signature}, KOMOJU_BODY)
    assert message.result.status == "captured"


@settings(max_examples=200)
@given(
    position=st.integers(min_value=0, max_value=len(KOMOJU_BODY) - 1),
    flip=st.integers(1, 255),
)
def test_komoju_any_changed_byte_is_rejected(position, flip):
    from app.payments.gateways.komoju import sign as komoju_sign

    signature = komoju_sign("whsec_komoju_demo", KOMOJU_BODY)
    body = bytearray(KOMOJU_BODY)
    body[position] ^= flip
    with pytest.raises(InvalidSignature):
        _komoju().verify_webhook({"x-komoju-signature": signature}, bytes(body))


@settings(max_examples=200)
@given(st.binary(max_size=400), st.text(max_size=80))
def test_komoju_arbitrary_bodies_and_signatures_are_rejected(body, signature):
    with pytest.raises(InvalidSignature):
        _komoju().verify_webhook({"x-komoju-signature": signature}, body)


@settings(max_examples=200)
@given(st.binary(min_size=1, max_size=400), st.integers(0, 399), st.integers(1, 255))
def test_paysession_any_changed_byte_is_rejected(body, position, flip):
    import time

    from app.payments.gateways import paysession

    gateway_cls = next(
        v
        for v in vars(paysession).values()
        if isinstance(v, type) and getattr(v, "name", None) == "paysession"
    )
    gateway = gateway_cls("http://x/pg", "http://x/checkout", "id", "cfsk_demo_secret")
    timestamp = str(int(time.time() * 1000))
    signature = paysession.sign("cfsk_demo_secret", timestamp, body)
    tampered = bytearray(body)
    tampered[position % len(body)] ^= flip
    headers = {"x-webhook-signature": signature, "x-webhook-timestamp": timestamp}
    with pytest.raises(InvalidSignature):
        gateway.verify_webhook(headers, bytes(tampered))


@settings(max_examples=100)
@given(st.text(min_size=1, max_size=60))
def test_any_esewa_signature_text_is_rejected_not_crashed(signature):
    genuine = json.loads(base64.b64decode(_data(FIELDS)))
    if genuine["signature"] == signature:
        return
    genuine["signature"] = signature
    forged = base64.b64encode(json.dumps(genuine).encode()).decode()
    with pytest.raises(InvalidSignature):
        GATEWAY.verify_redirect(REF, {"data": forged})

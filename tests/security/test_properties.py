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

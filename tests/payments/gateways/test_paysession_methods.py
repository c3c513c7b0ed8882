"""The payment-session adapter passes the request's payment methods on, so the
hosted page offers only those (the shop's choice of methods comes later)."""

from __future__ import annotations

import pytest
import requests

from app.payments.gateways import base as gw
from app.payments.gateways.registry import get_gateway

HEADERS = {
    "x-client-id": "cf_test_client",
    "x-client-secret": "cfsk_demo_secret",
    "x-api-version": "2023-08-01",
}


def handoff(app, **kw) -> gw.Handoff:
    base = app.config["PUBLIC_BASE_URL"]
    request = gw.PaymentRequest(
        payment_id=3,
        amount=17000,
        currency="INR",
        description="Two tickets",
        method="paysession",
        success_url=f"{base}/api/payments/redirect/3/success",
        failure_url=f"{base}/api/payments/redirect/3/failure",
        external_order_num="ord_test-3",
        customer_phone="9800000000",
        customer_id="cust3",
        **kw,
    )
    return get_gateway("paysession").create_handoff(request)


def order_meta(live_url: str, order_id: str) -> dict:
    resp = requests.get(
        f"{live_url}/_sandbox/paysession/pg/orders/{order_id}",
        headers=HEADERS,
        timeout=10,
    )
    return resp.json()["order_meta"]


def test_payment_methods_reach_the_gateway(app, live_url):
    result = handoff(app, payment_methods=("cc", "upi"))
    assert order_meta(live_url, result.gateway_txn_id)["payment_methods"] == "cc,upi"
    page = requests.get(result.redirect_url, timeout=10).text
    assert 'id="paysession-method-cc"' in page
    assert 'id="paysession-method-nb"' not in page


def test_no_methods_means_every_method(app, live_url):
    result = handoff(app)
    assert order_meta(live_url, result.gateway_txn_id)["payment_methods"] is None
    page = requests.get(result.redirect_url, timeout=10).text
    assert 'id="paysession-method-nb"' in page


def test_the_gateway_refuses_codes_it_does_not_know(app):
    """Translating the seed's words ("card") into codes is the shop's job."""
    with pytest.raises(gw.GatewayRejected, match="payment_methods"):
        handoff(app, payment_methods=("card",))

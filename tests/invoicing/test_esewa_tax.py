"""The order's VAT reaches eSewa as amount + tax_amount = total_amount."""

from __future__ import annotations

import requests

from app.invoicing.models import Invoice
from app.orders.models import Order
from tests.support import esewa
from tests.support.cart import fill_cart


def test_registered_shop_sends_the_vat_split(shop, nepal_vat, live_url, db, jobs):
    product = shop.course
    product.price = 113000
    db.session.commit()
    fill_cart(shop.api, product)
    init = shop.api.post("/api/orders/checkout", json={"gateway": "esewa"}).get_json()[
        "data"
    ]
    payload = init["gatewayPayload"]
    assert payload["amount"] == "1000.00"
    assert payload["tax_amount"] == "130.00"
    assert payload["total_amount"] == "1130.00"
    message = ",".join(
        f"{name}={payload[name]}" for name in payload["signed_field_names"].split(",")
    )
    assert payload["signature"] == esewa.hmac_b64(message)
    order = db.session.get(Order, init["orderId"])
    assert (order.total, order.tax_total) == (113000, 13000)
    assert [(r.rate, r.net, r.tax) for r in order.tax_rates] == [(1300, 100000, 13000)]
    assert (order.items[0].net_amount, order.items[0].tax_amount) == (100000, 13000)
    # The sandbox accepts the form and the payment completes.
    success = esewa.pay(live_url, init)
    requests.get(success, allow_redirects=False, timeout=10)
    jobs.run()
    db.session.rollback()
    assert order.status == "paid"
    invoice = db.session.query(Invoice).filter_by(order_id=order.id).one()
    assert (invoice.net, invoice.tax, invoice.total) == (100000, 13000, 113000)
    assert invoice.data["seller"]["number"] == "123456789"


def test_unregistered_shop_keeps_the_seed_shape(shop, live_url):
    fill_cart(shop.api, shop.course, shop.book)
    init = shop.api.post("/api/orders/checkout", json={"gateway": "esewa"}).get_json()[
        "data"
    ]
    esewa.assert_handoff(init, live_url, "1300.00")

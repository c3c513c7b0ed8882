"""Booklet checkout: stock checked at checkout, taken when paid, shipping address."""

from __future__ import annotations

from sqlalchemy import func, select

from app.booklets.services import take_stock
from app.catalog.models import Product
from app.orders.models import Order
from app.payments.models import Payment
from tests.booklets.conftest import ADDRESS, buy, latest_order, login, pay_with_esewa


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_product_page_offers_buy_with_stock(shop):
    page = shop.client.get(f"/products/{shop.booklet.slug}").get_data(as_text=True)
    assert "5 copies in stock" in page and 'id="booklet-buy-link"' in page
    # Buying needs an account (seed 003: cart checkout requires authentication).
    resp = shop.client.get(f"/booklets/{shop.booklet.slug}/buy")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    login(shop.client, shop.customer)
    page = shop.client.get(f"/booklets/{shop.booklet.slug}/buy").get_data(as_text=True)
    assert 'id="booklet-buy-form"' in page and 'value="esewa"' in page


def test_checkout_creates_booklet_order_with_address(shop, db):
    login(shop.client, shop.customer)
    resp = buy(shop.client, shop.booklet, 2)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    assert "/payments/" in resp.headers["Location"]
    order = latest_order()
    assert order.kind == "booklet" and order.status == "payment_pending"
    assert order.total == 90000 and order.items[0].quantity == 2
    assert order.shipping_address["city"] == "Kathmandu"
    assert order.fulfilment_status is None
    # Stock is validated at checkout but only taken when paid.
    assert db.session.get(Product, shop.booklet.id).stock == 5


def test_paid_order_takes_stock_and_starts_processing(shop, db, live_url, jobs):
    login(shop.client, shop.customer)
    buy(shop.client, shop.booklet, 2)
    order = latest_order()
    pay_with_esewa(live_url, order.payments[0], jobs)
    order = db.session.get(Order, order.id)
    assert order.status == "paid" and order.fulfilment_status == "processing"
    assert not order.needs_refund
    assert db.session.get(Product, shop.booklet.id).stock == 3
    page = shop.client.get(f"/orders/{order.public_id}").get_data(as_text=True)
    assert 'data-seed-status="PROCESSING"' in page


def test_out_of_stock_is_refused_at_checkout(shop, db):
    login(shop.client, shop.customer)
    resp = buy(shop.client, shop.booklet, 6)
    assert resp.status_code == 409
    assert "Only 5 copies" in resp.get_data(as_text=True)
    shop.booklet.stock = 0
    db.session.commit()
    resp = buy(shop.client, shop.booklet, 1)
    assert resp.status_code == 409 and "sold out" in resp.get_data(as_text=True)
    assert count(db, Order) == 0 and count(db, Payment) == 0


def test_incomplete_address_is_refused(shop, db):
    login(shop.client, shop.customer)
    resp = buy(shop.client, shop.booklet, 1, line1="", city="")
    assert resp.status_code == 400
    assert count(db, Order) == 0


def test_paid_order_that_finds_no_stock_is_flagged_not_lost(shop, db, live_url, jobs):
    login(shop.client, shop.customer)
    buy(shop.client, shop.booklet, 3)
    order = latest_order()
    # Someone else's paid order took the copies meanwhile.
    assert take_stock(shop.booklet.id, 4)
    db.session.commit()
    pay_with_esewa(live_url, order.payments[0], jobs)
    order = db.session.get(Order, order.id)
    assert order.status == "paid" and order.needs_refund and order.refund_by
    assert order.fulfilment_status is None
    assert db.session.get(Product, shop.booklet.id).stock == 1


def test_take_stock_never_goes_below_zero(shop, db):
    assert take_stock(shop.booklet.id, 5)
    assert not take_stock(shop.booklet.id, 1)
    db.session.commit()
    assert db.session.get(Product, shop.booklet.id).stock == 0
    unlimited = Product(
        type="booklet", slug="free", title="Free", price=1, currency="NPR"
    )
    db.session.add(unlimited)
    db.session.commit()
    assert take_stock(unlimited.id, 100)


def test_api_checkout_direct_method_answers_order_key(shop, db, api):
    api.login(shop.customer.email, "secret-pass-1")
    resp = api.post(
        "/api/booklets/checkout",
        json={
            "productId": shop.booklet.id,
            "quantity": 1,
            "shippingAddress": ADDRESS,
            "gateway": "bank_transfer",
        },
    )
    assert resp.status_code == 200, resp.get_json()
    data = resp.get_json()["data"]
    order = latest_order()
    assert data["orderKey"] == order.order_key and data["orderId"] == order.id
    # A bank transfer (issue #14): the order key response with how to pay.
    assert data["status"] == "on_hold" and data["initiationType"] == "instructions"
    assert data["orderUrl"].endswith(f"/orders/{order.public_id}?key={order.order_key}")
    assert data["instructions"]["reference"] == order.payments[0].gateway_txn_id
    assert data["instructions"]["amount"] == "450.00"
    assert order.shipping_address["postcode"] == "44600"


def test_api_checkout_redirect_method_answers_payment_init(shop, api):
    api.login(shop.customer.email, "secret-pass-1")
    resp = api.post(
        "/api/booklets/checkout",
        json={
            "productId": shop.booklet.id,
            "shippingAddress": ADDRESS,
            "gateway": "esewa",
        },
    )
    data = resp.get_json()["data"]
    assert data["initiationType"] == "form_post" and data["redirectUrl"]
    assert data["orderKey"]
    bad = api.post(
        "/api/booklets/checkout",
        json={
            "productId": shop.booklet.id,
            "shippingAddress": {**ADDRESS, "city": ""},
            "gateway": "esewa",
        },
    )
    assert bad.status_code == 422
    assert bad.get_json()["error"]["details"] == {"city": "City is required."}
    out = api.post(
        "/api/booklets/checkout",
        json={
            "productId": shop.booklet.id,
            "quantity": 9,
            "shippingAddress": ADDRESS,
            "gateway": "esewa",
        },
    )
    assert out.status_code == 409
    assert out.get_json()["error"]["code"] == "OUT_OF_STOCK"
    assert out.get_json()["error"]["details"] == {"available": 5}


def test_new_endpoints_are_in_the_openapi_document(client):
    spec = client.get("/api/openapi.json").get_json()
    booklet = spec["paths"]["/api/booklets/checkout"]["post"]
    assert "shippingAddress" in str(booklet)
    assert "/api/orders/{public_id}/checkout" in spec["paths"]

"""No dead ends in the cart (issue #15): a visitor's cart survives login and
registration, owned items are flagged, and the promo code's total shows before
paying."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.cart.models import CartItem
from app.orders.models import Order
from tests.booklets.conftest import make_auto_approve
from tests.downloads.test_downloads import buy
from tests.support.factories import PASSWORD


def test_visitor_adds_then_logs_in_and_finds_it_in_the_cart(client, factory, db):
    user = factory.user()
    course = factory.product("course", price=80000, title="Python Basics")
    page = f"/products/{course.slug}"
    resp = client.post("/cart/add", data={"product_id": course.id, "next": page})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/cart")
    cart = client.get("/cart").get_data(True)
    assert "Python Basics" in cart and 'id="login-to-pay"' in cart
    assert 'data-cart-count="1"' in cart
    # Paying needs an account: the POST comes back to the cart, never a 405.
    checkout = client.post("/checkout", data={"method": "esewa"})
    assert checkout.status_code == 302
    assert checkout.headers["Location"].startswith("/login?next=")
    login = client.post(
        "/login?next=/cart", data={"email": user.email, "password": PASSWORD}
    )
    assert login.status_code == 302 and login.headers["Location"] == "/cart"
    db.session.rollback()
    assert db.session.scalar(select(func.count(CartItem.id))) == 1
    assert f'data-cart-item="{course.id}"' in client.get("/cart").get_data(True)


def test_registering_keeps_the_cart_and_the_way_back(client, factory, db):
    book = factory.product("digital_book", price=30000)
    client.post("/cart/add", data={"product_id": book.id})
    resp = client.post(
        "/register?next=/cart",
        data={"name": "Sita", "email": "sita@example.com", "password": "long-enough-1"},
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/cart"
    assert book.title in client.get("/cart").get_data(True)


def test_a_post_behind_login_returns_to_the_page_it_came_from(client, factory):
    resp = client.post(
        "/library/1/download", headers={"Referer": "http://localhost/library"}
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login?next=/library"
    offsite = client.post(
        "/library/1/download", headers={"Referer": "https://evil.example/x"}
    )
    assert offsite.headers["Location"] == "/login?next=/"


def test_owned_items_are_flagged_and_need_an_explicit_extension(client, factory, db):
    factory.payment_methods()
    make_auto_approve()
    user = factory.user()
    book = factory.product("digital_book", validity_days=None, title="Handbook")
    course = factory.product("course", validity_days=365, title="Course A")
    buy(user, book)
    buy(user, course)
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert "Add to cart" not in client.get(f"/products/{book.slug}").get_data(True)
    client.post("/cart/add", data={"product_id": course.id})
    page = client.get("/cart").get_data(True)
    assert 'data-owned="extend"' in page and 'name="extend"' in page
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page)[1]
    refused = client.post(
        "/checkout",
        data={"method": "esewa", "form_token": token},
        follow_redirects=True,
    )
    assert "Extend my access" in refused.get_data(True)
    db.session.rollback()
    before = db.session.scalar(select(func.count(Order.id)))
    page = client.get("/cart").get_data(True)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page)[1]
    ok = client.post(
        "/checkout",
        data={"method": "esewa", "form_token": token, "extend": str(course.id)},
    )
    assert ok.status_code == 302 and "/handoff" in ok.headers["Location"]
    db.session.rollback()
    assert db.session.scalar(select(func.count(Order.id))) == before + 1


def test_api_checkout_refuses_owned_lifetime_items(shop, db):
    make_auto_approve()
    buy(shop.user, shop.book)
    shop.api.post("/api/cart/items", json={"productId": shop.book.id})
    resp = shop.api.post("/api/orders/checkout", json={"gateway": "esewa"})
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "ALREADY_OWNED"


def test_promo_preview_shows_the_total_or_the_reason(client, factory, db):
    factory.payment_methods()
    user = factory.user()
    course = factory.product("course", price=100000)
    factory.promotion(code="WELCOME10", kind="percent", value=10, scope="all")
    factory.promotion(
        code="TRAINONLY",
        kind="percent",
        value=20,
        scope="types",
        product_types=["training"],
    )
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    client.post("/cart/add", data={"product_id": course.id})
    client.post("/cart/promo", data={"promo_code": "welcome10"})
    page = client.get("/cart").get_data(True)
    assert 'data-testid="discount"' in page
    assert "NPR 900.00" in page and "Pay NPR 900.00" in page
    client.post("/cart/promo", data={"promo_code": "TRAINONLY"})
    page = client.get("/cart").get_data(True)
    assert "does not apply" in page and "NPR 1,000.00" in page
    client.post("/cart/promo", data={"promo_code": "NOSUCH"})
    assert "does not exist" in client.get("/cart").get_data(True)

"""Seed 003: "Cart is automatically deleted after successful payment" — the items
bought leave the cart when the payment is confirmed, not before, and not on failure."""

from __future__ import annotations

import requests

from tests.support import esewa
from tests.support.factories import PASSWORD


def cart_ids(api) -> list[int]:
    return [i["productId"] for i in api.get("/api/cart").get_json()["data"]["items"]]


def checkout_and_pay(api, live_url, jobs, outcome: str) -> dict:
    init = api.post("/api/orders/checkout", json={"gateway": "esewa"}).get_json()
    init = init["data"]
    url = esewa.pay(live_url, init, outcome)
    requests.get(url, allow_redirects=False, timeout=10)
    jobs.run()
    return init


def test_cart_is_emptied_only_by_a_successful_payment(factory, api, live_url, jobs):
    factory.payment_methods()
    user = factory.user(email="buyer@example.com")
    course = factory.product("course", price=80000)
    book = factory.product("digital_book", price=50000)
    later = factory.product("digital_book", price=30000)
    api.login(user.email, PASSWORD)
    for product in (course, book):
        api.post("/api/cart/items", json={"productId": product.id})

    checkout_and_pay(api, live_url, jobs, "failure")
    assert cart_ids(api) == [course.id, book.id]  # a failed payment keeps the cart

    init = api.post("/api/orders/checkout", json={"gateway": "esewa"}).get_json()
    init = init["data"]
    assert cart_ids(api) == [course.id, book.id]  # not removed before payment
    api.post("/api/cart/items", json={"productId": later.id})
    url = esewa.pay(live_url, init, "success")
    requests.get(url, allow_redirects=False, timeout=10)
    jobs.run()
    order = api.get(f"/api/orders/{init['orderId']}").get_json()["data"]
    assert order["status"] == "paid"
    # What was bought is gone; what was added after checkout stays.
    assert cart_ids(api) == [later.id]

"""The cart pages: add, remove, and a double-submitted checkout makes one order."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.orders.models import Order
from tests.support.factories import PASSWORD


def _login(client, email):
    assert (
        client.post("/login", data={"email": email, "password": PASSWORD}).status_code
        == 302
    )


def test_double_submitted_checkout_creates_one_order(client, factory, db):
    factory.payment_methods()
    user = factory.user()
    course = factory.product("course", price=80000)
    _login(client, user.email)
    client.post("/cart/add", data={"product_id": course.id})
    page = client.get("/cart").get_data(as_text=True)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {"method": "esewa", "form_token": token}
    first = client.post("/checkout", data=form)
    assert first.status_code == 302 and "/handoff" in first.headers["Location"]
    second = client.post("/checkout", data=form)
    assert second.status_code == 302 and second.headers["Location"].endswith("/orders")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Order.id))) == 1


def test_cart_page_refuses_a_training_and_removes_items(client, factory, db):
    user = factory.user()
    training, _cohort, _session = factory.training()
    course = factory.product("course")
    _login(client, user.email)
    resp = client.post(
        "/cart/add", data={"product_id": training.id}, follow_redirects=True
    )
    assert b"trainings are bought through enrollment" in resp.data
    client.post("/cart/add", data={"product_id": course.id})
    assert course.title.encode() in client.get("/cart").data
    client.post(f"/cart/remove/{course.id}")
    assert b"Your cart is empty" in client.get("/cart").data

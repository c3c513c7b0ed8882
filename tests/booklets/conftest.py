"""Booklet fixtures: a customer, an admin, a booklet with stock, payment methods."""

from __future__ import annotations

import pytest
import requests
from flask import g
from flask.testing import FlaskClient

from app.extensions import db
from app.orders.models import Order
from app.payments.handoff import init_response
from app.payments.models import Payment, PaymentMethod
from tests.support import esewa
from tests.support.factories import PASSWORD

ADDRESS = {
    "name": "Sita Shrestha",
    "line1": "Thamel Marg 12",
    "line2": "",
    "city": "Kathmandu",
    "postcode": "44600",
    "country": "Nepal",
    "phone": "+9779800000000",
}


class FreshUserClient(FlaskClient):
    """A test client that never sees another client's user.

    Tests run inside the app context, which requests reuse; Flask-Login caches
    the loaded user in `g`, so without this a second client's request would act
    as the first client's user.
    """

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def new_client(app) -> FreshUserClient:
    return FreshUserClient(app, app.response_class, use_cookies=True)


def login(client, user) -> None:
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]


def buy(client, product, quantity: int = 1, method: str = "esewa", **address):
    data = {**ADDRESS, **address, "quantity": str(quantity), "method": method}
    return client.post(f"/booklets/{product.slug}/buy", data=data)


def latest_order() -> Order:
    db.session.rollback()
    return db.session.scalars(db.select(Order).order_by(Order.id.desc())).first()


def pay_with_esewa(live_url: str, payment: Payment, jobs, outcome: str = "success"):
    """The customer pays in the eSewa sandbox; the worker finalises."""
    init = init_response(payment.order, payment)
    url = esewa.pay(live_url, init, outcome)
    if outcome == "failure":
        esewa.remember_failure(live_url, init)  # else NOT_FOUND keeps it open
    resp = requests.get(url, allow_redirects=False, timeout=10)
    # An unsigned failure return from a browser that did not place the order
    # gets a neutral page, not the order (and its key).
    assert resp.status_code == (302 if outcome == "success" else 200)
    jobs.run()


def make_auto_approve(code: str = "bank_transfer") -> None:
    method = db.session.scalar(
        db.select(PaymentMethod).where(PaymentMethod.code == code)
    )
    method.auto_approve = True
    db.session.commit()


@pytest.fixture
def shop(factory, app):
    factory.payment_methods()

    class Shop:
        pass

    s = Shop()
    s.customer = factory.user(email="buyer@example.com", name="Sita Shrestha")
    s.admin = factory.user(email="admin@example.com", name="Ada Admin", role="admin")
    s.booklet = factory.product(
        "booklet", price=45000, title="Field Guide", validity_days=None, stock=5
    )
    s.client = new_client(app)
    return s

"""One's own data (issue #15): a JSON export, and deletion that keeps paid sales
on record and nothing else."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.library.models import ProductAccess
from app.orders.models import Order
from app.orders.services import LineItem, create_order
from app.payments.cancellation import user_cancel
from tests.booklets.conftest import make_auto_approve
from tests.downloads.test_downloads import buy
from tests.support.factories import PASSWORD


def login(client, user):
    assert (
        client.post(
            "/login", data={"email": user.email, "password": PASSWORD}
        ).status_code
        == 302
    )


def unpaid_order(user, product) -> Order:
    order = create_order(
        kind="cart",
        user_id=user.id,
        currency=product.currency,
        items=[
            LineItem(product.title, product.type, product.price, product_id=product.id)
        ],
        customer_name=user.name,
        customer_email=user.email,
    )
    db.session.commit()
    return order


def test_export_holds_orders_and_library(client, factory, app):
    factory.payment_methods()
    make_auto_approve()
    user = factory.user(email="sita@example.com", name="Sita")
    book = factory.product("digital_book", validity_days=None)
    order = buy(user, book)
    login(client, user)
    resp = client.get("/account/export")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert "attachment" in resp.headers["Content-Disposition"]
    data = json.loads(resp.get_data())
    assert data["account"]["email"] == "sita@example.com"
    assert [o["publicId"] for o in data["orders"]] == [order.public_id]
    assert data["library"][0]["productId"] == book.id
    assert set(data) >= {"tickets", "enrollments"}


def test_delete_keeps_paid_sales_and_scrubs_the_rest(client, factory, app):
    factory.payment_methods()
    make_auto_approve()
    user = factory.user(email="sita@example.com", name="Sita")
    book = factory.product("digital_book", validity_days=None)
    paid = buy(user, book)
    open_order = unpaid_order(user, factory.product("course"))
    login(client, user)
    refused = client.post(
        "/account/delete", data={"current_password": PASSWORD, "understood": "y"}
    )
    assert refused.status_code == 409  # an order still waits for payment
    db.session.rollback()
    assert db.session.get(User, user.id).deleted_at is None
    user_cancel(db.session.get(Order, open_order.id))
    db.session.commit()
    wrong = client.post(
        "/account/delete", data={"current_password": "nope", "understood": "y"}
    )
    assert wrong.status_code == 400
    done = client.post(
        "/account/delete", data={"current_password": PASSWORD, "understood": "y"}
    )
    assert done.status_code == 302
    db.session.rollback()
    gone = db.session.get(User, user.id)
    assert gone.deleted_at is not None and gone.email.endswith("@deleted.invalid")
    assert gone.name == "" and gone.phone == ""
    kept = db.session.get(Order, paid.id)
    assert kept.customer_email == "sita@example.com"  # a sale stays on record
    scrubbed = db.session.get(Order, open_order.id)
    assert scrubbed.customer_email == "" and scrubbed.customer_name == ""
    assert db.session.scalar(select(ProductAccess)).revoked_at is not None
    assert client.get("/account").status_code == 302
    assert (
        client.post(
            "/login", data={"email": "sita@example.com", "password": PASSWORD}
        ).status_code
        == 401
    )

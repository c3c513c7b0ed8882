"""Issue #13, finding 4: a promo code's limits hold, and a late capture past them
is honoured and flagged (docs/decisions.md, issue #13)."""

from __future__ import annotations

import datetime as dt

import requests
from sqlalchemy import func, select, update

from app.db import utcnow
from app.extensions import db as _db
from app.orders.models import Order
from app.payments.jobs import handle_auto_cancel
from app.promotions.models import Promotion, PromotionUsage
from tests.support import esewa
from tests.support.factories import PASSWORD


def _token(live_url: str, factory, email: str) -> dict:
    user = factory.user(email=email)
    token = requests.post(
        f"{live_url}/api/auth/token",
        json={"email": user.email, "password": PASSWORD},
        timeout=30,
    ).json()["data"]["token"]
    return {"Authorization": f"Bearer {token}"}


def _checkout(live_url: str, headers: dict, product, code: str):
    resp = requests.post(
        f"{live_url}/api/cart/items",
        json={"productId": product.id},
        headers=headers,
        timeout=30,
    )
    assert resp.status_code == 201, resp.text
    return requests.post(
        f"{live_url}/api/orders/checkout",
        json={"gateway": "esewa", "promoCode": code},
        headers=headers,
        timeout=60,
    )


def _usages(db) -> int:
    return db.session.scalar(select(func.count(PromotionUsage.id)))


def test_per_user_limit_counts_the_users_open_orders(factory, live_url, db):
    factory.payment_methods()
    course = factory.product("course", price=80000)
    book = factory.product("digital_book", price=50000, validity_days=None)
    factory.promotion(code="ONCE", value=50, per_user_limit=1)
    buyer = _token(live_url, factory, "once@example.com")
    first = _checkout(live_url, buyer, course, "ONCE")
    assert first.status_code == 200, first.text
    # The first order is still open (unpaid): it holds the buyer's one use.
    second = _checkout(live_url, buyer, book, "ONCE")
    assert second.status_code == 400, second.text
    assert second.json()["error"]["code"] == "PROMOTION_NOT_APPLICABLE"
    db.session.rollback()
    discounted = db.session.scalar(
        select(func.count(Order.id)).where(Order.discount > 0)
    )
    assert discounted == 1
    # Someone else may still use it.
    other = _token(live_url, factory, "other@example.com")
    assert _checkout(live_url, other, book, "ONCE").status_code == 200


def test_a_late_capture_past_max_uses_is_honoured_and_flagged(
    factory, live_url, db, jobs
):
    factory.payment_methods()
    course = factory.product("course", price=80000)
    promo = factory.promotion(code="TWICE", value=50, max_uses=2)
    late = _token(live_url, factory, "late@example.com")
    first = _checkout(live_url, late, course, "TWICE").json()["data"]
    esewa.post_form(first)  # reached eSewa, then nothing until the deadline
    db.session.rollback()
    db.session.execute(
        update(Order)
        .where(Order.id == first["orderId"])
        .values(expires_at=utcnow() - dt.timedelta(seconds=5))
    )
    db.session.commit()
    assert handle_auto_cancel(first["orderId"]) == "cancelled"
    _db.session.commit()

    # The freed use goes to two other buyers, who pay: the code is used up.
    others = []
    for n in range(2):
        headers = _token(live_url, factory, f"buyer{n}@example.com")
        resp = _checkout(live_url, headers, course, "TWICE")
        assert resp.status_code == 200, resp.text
        others.append(resp.json()["data"])
        requests.get(esewa.pay(live_url, others[-1]), allow_redirects=False, timeout=30)
    jobs.run()
    third = _token(live_url, factory, "third@example.com")
    assert _checkout(live_url, third, course, "TWICE").status_code == 400

    # Now the first buyer's payment completes at eSewa after all.
    back = esewa.pay(live_url, first, form=False)
    requests.get(back, allow_redirects=False, timeout=30)
    jobs.run()
    db.session.rollback()
    order = db.session.get(Order, first["orderId"])
    assert order.status == "paid"  # the buyer paid the price shown: honoured
    assert order.promotion_past_limit is True  # and staff can see why
    assert [
        db.session.get(Order, o["orderId"]).promotion_past_limit for o in others
    ] == [
        False,
        False,
    ]
    db.session.refresh(promo)
    assert promo.uses_count == 3
    assert _usages(db) == 3  # every paid discounted order is counted once
    body = requests.get(
        f"{live_url}/api/orders/{order.id}",
        params={"key": order.order_key},
        timeout=30,
    ).json()
    assert body["data"]["promotionPastLimit"] is True


def test_a_late_capture_past_the_per_user_limit_is_flagged(factory, live_url, db, jobs):
    factory.payment_methods()
    course = factory.product("course", price=80000)
    book = factory.product("digital_book", price=50000, validity_days=None)
    factory.promotion(code="MINE", value=50, per_user_limit=1)
    buyer = _token(live_url, factory, "mine@example.com")
    first = _checkout(live_url, buyer, course, "MINE").json()["data"]
    esewa.post_form(first)
    db.session.rollback()
    db.session.execute(
        update(Order)
        .where(Order.id == first["orderId"])
        .values(expires_at=utcnow() - dt.timedelta(seconds=5))
    )
    db.session.commit()
    assert handle_auto_cancel(first["orderId"]) == "cancelled"
    _db.session.commit()
    second = _checkout(live_url, buyer, book, "MINE").json()["data"]
    requests.get(esewa.pay(live_url, second), allow_redirects=False, timeout=30)
    requests.get(
        esewa.pay(live_url, first, form=False), allow_redirects=False, timeout=30
    )
    jobs.run()
    db.session.rollback()
    flags = {
        o.id: (o.status, o.promotion_past_limit)
        for o in db.session.scalars(select(Order).order_by(Order.id))
    }
    assert flags == {
        first["orderId"]: ("paid", True),
        second["orderId"]: ("paid", False),
    }
    assert db.session.scalar(select(Promotion.uses_count)) == 2

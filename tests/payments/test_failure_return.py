"""Issue #13, finding 8: an anonymous failure return cannot fail a young attempt.

eSewa signs nothing on failure, and payment ids are sequential: anyone can open
`/api/payments/redirect/<id>/failure`. When the gateway has no record of the
attempt (its form was never posted) and the attempt is younger than its method's
hold, the order stays `payment_pending` and expires at its deadline as usual.
"""

from __future__ import annotations

import datetime as dt

import requests
from sqlalchemy import update

from app.db import utcnow
from app.orders.models import Order
from app.payments.jobs import handle_auto_cancel
from app.payments.models import Payment
from tests.support import esewa
from tests.support.cart import fill_cart


def _checkout(api) -> dict:
    resp = api.post("/api/orders/checkout", json={"gateway": "esewa"})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["data"]


def _anonymous_failure_return(live_url: str, payment_id: int) -> int:
    return requests.get(
        f"{live_url}/api/payments/redirect/{payment_id}/failure",
        allow_redirects=False,
        timeout=10,
    ).status_code


def test_anonymous_failure_return_leaves_a_young_unposted_attempt_alone(
    shop, live_url, db, jobs
):
    fill_cart(shop.api, shop.course)
    init = _checkout(shop.api)  # the buyer has not reached eSewa yet
    assert _anonymous_failure_return(live_url, init["paymentId"]) in (200, 302)
    jobs.run()
    jobs.run_scheduled()
    db.session.rollback()
    order = db.session.get(Order, init["orderId"])
    payment = db.session.get(Payment, init["paymentId"])
    assert order.status == "payment_pending"
    assert payment.status not in ("failed", "cancelled", "expired")

    # The buyer was never harmed: the same attempt can still be paid.
    back = esewa.pay(live_url, init)
    assert requests.get(back, allow_redirects=False, timeout=10).status_code == 302
    jobs.run()
    db.session.rollback()
    assert db.session.get(Order, init["orderId"]).status == "paid"


def test_an_unposted_attempt_still_expires_at_its_deadline(shop, live_url, db, jobs):
    fill_cart(shop.api, shop.course)
    init = _checkout(shop.api)
    _anonymous_failure_return(live_url, init["paymentId"])
    jobs.run()
    db.session.execute(
        update(Order)
        .where(Order.id == init["orderId"])
        .values(expires_at=utcnow() - dt.timedelta(seconds=5))
    )
    db.session.commit()
    assert handle_auto_cancel(init["orderId"]) == "cancelled"
    db.session.commit()
    assert db.session.get(Order, init["orderId"]).status == "cancelled"


def test_a_failure_return_of_an_old_attempt_the_gateway_never_saw_fails_it(
    shop, live_url, db, jobs
):
    """Past its method's hold the attempt is over: NOT_FOUND means failed."""
    fill_cart(shop.api, shop.course)
    init = _checkout(shop.api)
    db.session.execute(
        update(Payment)
        .where(Payment.id == init["paymentId"])
        .values(created_at=utcnow() - dt.timedelta(days=1))
    )
    db.session.commit()
    _anonymous_failure_return(live_url, init["paymentId"])
    jobs.run()
    db.session.rollback()
    assert db.session.get(Order, init["orderId"]).status == "failed"

"""SPEC §6 invariants 1 and 3 under real concurrency (threads against the live
server and the job handlers at once). Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import requests
from sqlalchemy import func, select

from app.library.models import ProductAccess
from app.mail.models import EmailLog
from app.orders.models import Order
from app.payments.models import Payment, PaymentEvent
from app.promotions.models import Promotion, PromotionUsage
from tests.support import esewa
from tests.support.cart import fill_cart
from tests.support.concurrency import run_threads


def scalar_count(db, stmt) -> int:
    return db.session.scalar(stmt)


def test_twenty_replays_of_one_idempotency_key(shop, live_url, db, report):
    fill_cart(shop.api, shop.course, shop.book)
    headers = {
        "Authorization": f"Bearer {shop.api.token}",
        "Idempotency-Key": "same-key",
    }
    body = {"gateway": "esewa", "returnUrl": "https://example.com/payment/return"}

    def call(_i: int):
        resp = requests.post(
            f"{live_url}/api/orders/checkout", json=body, headers=headers, timeout=60
        )
        return resp.status_code, resp.json()

    results = run_threads(call, 20)
    db.session.rollback()
    row = report(
        "Duplicate checkout submissions",
        "20 threads POST /api/orders/checkout with one Idempotency-Key at once",
        operations=20,
        answers_200=(20, [status for status, _ in results].count(200)),
        distinct_bodies=(1, len({repr(body) for _, body in results})),
        orders=(1, scalar_count(db, select(func.count(Order.id)))),
        payments=(1, scalar_count(db, select(func.count(Payment.id)))),
    )
    assert row.held, row.checks


def test_twenty_identical_redirects_racing_retry_jobs(
    shop, live_url, db, jobs, smtp_sink, app, factory, report
):
    factory.promotion(code="WELCOME10", value=10)
    fill_cart(shop.api, shop.course, shop.book)
    init = shop.api.post(
        "/api/orders/checkout", json={"gateway": "esewa", "promoCode": "WELCOME10"}
    ).get_json()["data"]
    success_url = esewa.pay(live_url, init)
    payment_id = init["paymentId"]

    from app.jobs import in_app_context
    from app.payments.jobs import handle_payment_retry

    retry = in_app_context(handle_payment_retry)

    def hit(i: int):
        if i % 5 == 0:  # a quarter of the racers are retry jobs, not browsers
            with app.app_context():
                try:
                    return retry(payment_id, attempt=1, source="retry")
                finally:
                    from app.extensions import db as _db

                    _db.session.remove()
        return requests.get(success_url, allow_redirects=False, timeout=60).status_code

    results = run_threads(hit, 24)
    assert all(
        r in (302, "paid", "already-final", "already-captured") for r in results
    ), results
    jobs.run()
    db.session.rollback()
    order = db.session.get(Order, init["orderId"])
    assert order.status == "paid"
    assert (
        scalar_count(
            db,
            select(func.count(PaymentEvent.id)).where(
                PaymentEvent.outcome == "order_paid"
            ),
        )
        == 1
    )
    assert scalar_count(db, select(func.count(ProductAccess.id))) == 2
    assert scalar_count(db, select(func.count(PromotionUsage.id))) == 1
    assert db.session.scalar(select(Promotion.uses_count)) == 1
    assert (
        scalar_count(
            db,
            select(func.count(EmailLog.id)).where(
                EmailLog.dedupe_key.like("receipt-%")
            ),
        )
        == 1
    )
    assert len(smtp_sink.to("buyer@example.com")) == 1

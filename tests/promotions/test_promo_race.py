"""A promo code at its last uses, raced by ten buyers (SPEC §6.2 for discounts)."""

from __future__ import annotations

import requests
from sqlalchemy import func, select

from app.orders.models import Order
from app.promotions.models import Promotion, PromotionUsage
from tests.support import esewa
from tests.support.concurrency import run_threads
from tests.support.factories import PASSWORD


def test_ten_buyers_race_for_the_last_three_uses(factory, live_url, db, jobs, report):
    factory.payment_methods()
    course = factory.product("course", price=80000)
    factory.promotion(code="LAST3", value=50, max_uses=5, uses_count=2)
    tokens = []
    for n in range(10):
        user = factory.user(email=f"racer{n}@example.com")
        token = requests.post(
            f"{live_url}/api/auth/token",
            json={"email": user.email, "password": PASSWORD},
            timeout=30,
        ).json()["data"]["token"]
        requests.post(
            f"{live_url}/api/cart/items",
            json={"productId": course.id},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        tokens.append(token)

    def buy(i: int):
        resp = requests.post(
            f"{live_url}/api/orders/checkout",
            json={"gateway": "esewa", "promoCode": "LAST3"},
            headers={"Authorization": f"Bearer {tokens[i]}"},
            timeout=60,
        )
        return resp.status_code, resp.json()

    results = run_threads(buy, 10)
    winners = [body["data"] for status, body in results if status == 200]
    refused = [body["error"]["code"] for status, body in results if status != 200]
    for init in winners:
        requests.get(esewa.pay(live_url, init), allow_redirects=False, timeout=30)
    jobs.run()
    db.session.rollback()
    row = report(
        "Promo code at its last uses",
        "10 buyers check out at once with a code that has 3 uses left, then pay",
        operations=10,
        discounted_orders=(3, len(winners)),
        refused_with_promotion_not_applicable=(
            7,
            refused.count("PROMOTION_NOT_APPLICABLE"),
        ),
        orders_created=(3, db.session.scalar(select(func.count(Order.id)))),
        paid=(
            3,
            db.session.scalar(
                select(func.count(Order.id)).where(Order.status == "paid")
            ),
        ),
        usages_recorded=(3, db.session.scalar(select(func.count(PromotionUsage.id)))),
        uses_count=(5, db.session.scalar(select(Promotion.uses_count))),
    )
    assert row.held, row.checks

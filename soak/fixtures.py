"""What the soak sells, on top of `flask seed-demo`: small cohorts that fill up,
a promotion with few uses, a booklet with limited stock, a merchant key, and
thousands of customers with API tokens and a cart (`bench.data.add_users`)."""

from __future__ import annotations

import datetime as dt

from bench.data import add_users, connect

PROMO_CODE = "SOAK-LIMITED"
PROMO_MAX_USES = 8
BOOKLET_STOCK = 150
SMALL_COHORTS = 3  # besides the demo's "Evening cohort (small group)" of 3 seats
SMALL_CAPACITY = 4
# Hosted-page methods hold an unpaid order this long (the demo: 15-60 min), so
# the auto-cancel's last status check - the only way the shop learns of a
# customer who paid and closed the tab - falls inside the soak's settle time.
HOLD_MINUTES = 2
TICKET_SCALE = 4  # the demo's 100 General and 10 VIP seats, times this


def build(app, db_url: str, users: int) -> dict:
    from sqlalchemy import select

    from app.accounts.merchant_keys import create_merchant_key
    from app.catalog.models import (
        Event,
        Product,
        TicketType,
        TrainingCohort,
        TrainingSession,
    )
    from app.extensions import db
    from app.payments.models import PaymentMethod
    from app.promotions.models import Promotion

    with app.app_context():
        training = db.session.scalar(
            select(Product).where(Product.slug == "fullstack-bootcamp")
        )
        today = dt.date.today()
        for n in range(SMALL_COHORTS):
            cohort = TrainingCohort(
                product_id=training.id,
                name=f"Soak cohort {n + 1}",
                capacity=SMALL_CAPACITY,
                starts_on=today + dt.timedelta(days=50 + n),
                ends_on=today + dt.timedelta(days=90 + n),
                timezone="Asia/Kathmandu",
            )
            db.session.add(cohort)
            db.session.flush()
            db.session.add(
                TrainingSession(
                    cohort_id=cohort.id,
                    title="Kick-off",
                    starts_at=dt.datetime.combine(cohort.starts_on, dt.time(12, 15)),
                )
            )
        booklet = db.session.scalar(
            select(Product).where(Product.slug == "kathmandu-field-guide")
        )
        booklet.stock = BOOKLET_STOCK
        for ticket_type in db.session.scalars(select(TicketType)):
            ticket_type.quantity_total *= TICKET_SCALE
        db.session.add(
            Promotion(
                code=PROMO_CODE,
                kind="percent",
                value=5,
                scope="all",
                max_uses=PROMO_MAX_USES,
                per_user_limit=1,
            )
        )
        for method in db.session.scalars(select(PaymentMethod)):
            if "hold_minutes" in (method.settings or {}):
                method.settings = {**method.settings, "hold_minutes": HOLD_MINUTES}
        raw_key, _key = create_merchant_key("Soak merchant")
        db.session.commit()
        small = db.session.scalars(
            select(TrainingCohort).where(TrainingCohort.capacity <= SMALL_CAPACITY)
        ).all()
        cohorts = [{"id": c.id, "session_id": c.sessions[0].id} for c in small]
        event = db.session.scalar(select(Event).where(Event.slug == "tokyo-dev-meetup"))
        types = db.session.scalars(
            select(TicketType.id).where(TicketType.event_id == event.id)
        ).all()
        fixtures = {
            "training_id": training.id,
            "cohorts": cohorts,
            "booklet_id": booklet.id,
            "booklet_stock": BOOKLET_STOCK,
            "event_id": event.id,
            "ticket_types": list(types),
            "promo_code": PROMO_CODE,
            "merchant_key": raw_key,
        }
        db.session.remove()
        db.engine.dispose()
    with connect(db_url) as conn:
        fixtures["tokens"] = add_users(conn, users)
    return fixtures

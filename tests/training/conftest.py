"""Fixtures for training enrollment (seed 000)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import func, select

from app.catalog.models import TrainingCohort, TrainingSession
from app.db import utcnow
from app.extensions import db
from tests.support import esewa
from tests.support.factories import PASSWORD

SEED_KEYS = {
    "orderId",
    "status",
    "paymentId",
    "gatewayTransactionId",
    "initiationType",
    "redirectUrl",
    "gatewayPayload",
}


@pytest.fixture
def training(factory, api):
    """A customer with a token, a training (5 seats, 2500.00 NPR, 120 days of
    access) with one cohort and one session, and the payment methods."""
    factory.payment_methods()
    user = factory.user(email="sita@example.com", name="Sita Shrestha")
    product, cohort, session = factory.training(capacity=5)
    api.login(user.email, PASSWORD)
    return SimpleNamespace(
        user=user, product=product, cohort=cohort, session=session, api=api
    )


def add_cohort(product, capacity: int = 5, name: str = "Cohort B", days: int = 40):
    """Another cohort (with one session) of the same training."""
    today = utcnow().date()
    cohort = TrainingCohort(
        product_id=product.id,
        name=name,
        capacity=capacity,
        starts_on=today + dt.timedelta(days=days),
        ends_on=today + dt.timedelta(days=days + 30),
    )
    db.session.add(cohort)
    db.session.flush()
    session = TrainingSession(
        cohort_id=cohort.id,
        title=f"{name} session",
        starts_at=dt.datetime.combine(cohort.starts_on, dt.time(9)),
        content=f"{name} content",
    )
    db.session.add(session)
    db.session.commit()
    return cohort, session


def body_for(t, **over) -> dict:
    """Seed 000's request body for the fixture's training."""
    body = {
        "productId": t.product.id,
        "cohortId": t.cohort.id,
        "sessionId": t.session.id,
        "promoCode": None,
        "gateway": "esewa",
        "returnUrl": None,
        "formData": {
            "name": "Sita Shrestha",
            "email": "sita@example.com",
            "phone": "+9779800000000",
        },
    }
    body.update(over)
    return body


def enroll(api, body: dict, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else None
    return api.post("/api/mobile/training/enroll", json=body, headers=headers)


def pay_and_return(live_url: str, init: dict, outcome: str = "success") -> None:
    """The customer pays at the eSewa sandbox and the browser comes back."""
    url = esewa.pay(live_url, init, outcome)
    resp = requests.get(url, allow_redirects=False, timeout=10)
    # An unsigned failure return from a browser that did not place the order
    # gets a neutral page, not the order (and its key).
    expected = 302 if outcome == "success" else 200
    assert resp.status_code == expected, resp.text[:300]


def count(model, *where) -> int:
    query = select(func.count()).select_from(model)
    for clause in where:
        query = query.where(clause)
    return db.session.scalar(query)


def seats(cohort_id: int) -> tuple[int, int]:
    """(seats_taken, seats_held), read fresh."""
    db.session.rollback()
    cohort = db.session.get(TrainingCohort, cohort_id)
    db.session.refresh(cohort)
    return cohort.seats_taken, cohort.seats_held

"""`POST /api/mobile/training/enroll` (seed 000): the contract, the validation
that happens before any order or payment, duplicates, and the enrollments list."""

from __future__ import annotations

import datetime as dt

import pytest

from app.db import utcnow
from app.orders.models import Order
from app.payments.models import Payment
from app.training.models import Enrollment
from tests.support import esewa
from tests.support.factories import PASSWORD
from tests.training.conftest import (
    SEED_KEYS,
    add_cohort,
    body_for,
    count,
    enroll,
    seats,
)


def nothing_created(db, t) -> None:
    db.session.rollback()
    assert count(Order) == 0
    assert count(Payment) == 0
    assert count(Enrollment) == 0
    assert seats(t.cohort.id) == (0, 0)


def test_enroll_returns_seed_000_response(training, live_url, db):
    t = training
    resp = enroll(t.api, body_for(t, returnUrl="https://example.com/payment/return"))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["success"] is True and body["error"] is None
    data = body["data"]
    assert set(data) == SEED_KEYS
    assert data["status"] == "payment_pending"
    esewa.assert_handoff(data, live_url, "2500.00")
    # A pending enrollment, a training order and one payment; one seat held.
    order = db.session.get(Order, data["orderId"])
    assert order.kind == "training" and order.total == 250000
    assert order.customer_email == "sita@example.com"
    assert order.return_url == "https://example.com/payment/return"
    assert order.items[0].cohort_id == t.cohort.id
    enrollment = db.session.scalar(db.select(Enrollment))
    assert enrollment.status == "pending" and enrollment.order_id == order.id
    assert enrollment.session_id == t.session.id and enrollment.holds_seat
    assert enrollment.form_data == {
        "name": "Sita Shrestha",
        "email": "sita@example.com",
        "phone": "+9779800000000",
    }
    assert seats(t.cohort.id) == (0, 1)


def test_promo_code_discounts_the_order(training, factory):
    t = training
    factory.promotion(
        code="TRAIN2026", value=20, scope="types", product_types=["training"]
    )
    data = enroll(t.api, body_for(t, promoCode="TRAIN2026")).get_json()["data"]
    assert data["gatewayPayload"]["total_amount"] == "2000.00"


@pytest.mark.parametrize(
    "promo",
    [
        {"code": "BOOKS10", "scope": "types", "product_types": ["digital_book"]},
        {"code": "OTHER10", "scope": "products", "product_ids": [999999]},
        {"code": "OLD10", "ends_at": dt.datetime(2020, 1, 1)},
        {"code": "OFF10", "active": False},
        {"code": None},  # does not exist
    ],
    ids=["type-scope", "product-scope", "expired", "inactive", "unknown"],
)
def test_invalid_promo_or_scope_mismatch_creates_nothing(training, factory, db, promo):
    """Seed 000 edge case: invalid promo or scope mismatch."""
    t = training
    promo = dict(promo)
    code = promo.pop("code")
    if code is None:
        code = "NOSUCHCODE"
    else:
        factory.promotion(code=code, value=10, **promo)
    resp = enroll(t.api, body_for(t, promoCode=code), key="promo-1")
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "PROMOTION_NOT_APPLICABLE"
    assert error["details"] == {"promoCode": code}
    nothing_created(db, t)
    # The key was not spent on the refusal: a corrected request goes through.
    ok = enroll(t.api, body_for(t), key="promo-2")
    assert ok.status_code == 200


def test_cohort_of_another_training_is_refused(training, factory, db):
    """Seed 000 edge case: cohort/session mismatch with the selected product."""
    t = training
    _other, other_cohort, other_session = factory.training()
    resp = enroll(
        t.api,
        body_for(t, cohortId=other_cohort.id, sessionId=other_session.id),
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "COHORT_MISMATCH"
    missing = enroll(t.api, body_for(t, cohortId=987654))
    assert missing.get_json()["error"]["code"] == "COHORT_MISMATCH"
    nothing_created(db, t)
    assert count(Enrollment) == 0


def test_session_of_another_cohort_is_refused(training, db):
    """Seed 000 edge case: the session must belong to the chosen cohort."""
    t = training
    _cohort_b, session_b = add_cohort(t.product)
    resp = enroll(t.api, body_for(t, sessionId=session_b.id))
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "SESSION_MISMATCH"
    assert error["details"] == {"cohortId": t.cohort.id, "sessionId": session_b.id}
    assert (
        enroll(t.api, body_for(t, sessionId=555555)).get_json()["error"]["code"]
        == "SESSION_MISMATCH"
    )
    nothing_created(db, t)


def test_product_that_is_not_a_training_is_refused(training, factory, db):
    t = training
    course = factory.product("course")
    resp = enroll(t.api, body_for(t, productId=course.id))
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "NOT_A_TRAINING"
    gone = enroll(t.api, body_for(t, productId=424242))
    assert gone.status_code == 404
    assert gone.get_json()["error"]["code"] == "PRODUCT_NOT_FOUND"
    nothing_created(db, t)


def test_started_cohort_is_closed(training, db):
    t = training
    t.cohort.starts_on = utcnow().date()
    db.session.commit()
    resp = enroll(t.api, body_for(t))
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "COHORT_STARTED"
    nothing_created(db, t)


def test_full_cohort_is_refused_before_payment(training, factory, db):
    t = training
    t.cohort.capacity = 1
    db.session.commit()
    first = enroll(t.api, body_for(t))
    assert first.status_code == 200
    other = factory.user(email="ram@example.com")
    t.api.token = None
    t.api.login(other.email, PASSWORD)
    resp = enroll(t.api, body_for(t))
    assert resp.status_code == 409
    error = resp.get_json()["error"]
    assert error["code"] == "COHORT_FULL"
    assert error["details"]["cohortId"] == t.cohort.id
    db.session.rollback()
    assert count(Order) == 1 and count(Payment) == 1 and count(Enrollment) == 1
    assert seats(t.cohort.id) == (0, 1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"productId": "201"}, "productId"),
        ({"productId": True}, "productId"),
        ({"cohortId": 10.5}, "cohortId"),
        ({"cohortId": None}, "cohortId"),
        ({"sessionId": "5"}, "sessionId"),
        ({"sessionId": 0}, "sessionId"),
        ({"promoCode": 2026}, "promoCode"),
        ({"gateway": ["esewa"]}, "gateway"),
        ({"gateway": None}, "gateway"),
        ({"returnUrl": 5}, "returnUrl"),
        ({"formData": "Sita"}, "formData"),
        ({"formData": None}, "formData"),
        ({"formData": {"name": "Sita", "email": "s@example.com"}}, "formData.phone"),
        (
            {"formData": {"name": 1, "email": "s@example.com", "phone": "+97798"}},
            "formData.name",
        ),
    ],
)
def test_wrong_types_are_validation_errors(training, db, change, field):
    t = training
    resp = enroll(t.api, body_for(t, **change))
    assert resp.status_code == 400, resp.get_json()
    body = resp.get_json()
    assert body["success"] is False and body["data"] is None
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert field in body["error"]["details"]
    nothing_created(db, t)


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"name": "  "}, "formData.name"),
        ({"email": "not-an-email"}, "formData.email"),
        ({"phone": "call me"}, "formData.phone"),
        ({"phone": ""}, "formData.phone"),
    ],
)
def test_form_data_is_validated(training, db, form, field):
    t = training
    data = {"name": "Sita", "email": "sita@example.com", "phone": "+9779800000000"}
    resp = enroll(t.api, body_for(t, formData={**data, **form}))
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"]
    nothing_created(db, t)


def test_return_url_must_be_allowed(training, db):
    t = training
    resp = enroll(t.api, body_for(t, returnUrl="https://evil.example.net/x"))
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "RETURN_URL_NOT_ALLOWED"
    nothing_created(db, t)


def test_unknown_or_unsuitable_gateway(training, db):
    t = training
    resp = enroll(t.api, body_for(t, gateway="bitcoin"))
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "PAYMENT_METHOD_NOT_FOUND"
    card = enroll(t.api, body_for(t, gateway="komoju_card"))  # JPY only
    assert card.status_code == 400
    assert card.get_json()["error"]["code"] == "PAYMENT_METHOD_NOT_ALLOWED"
    nothing_created(db, t)


def test_requires_a_bearer_token(training, client, db):
    t = training
    resp = client.post("/api/mobile/training/enroll", json=body_for(t))
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "UNAUTHORIZED"
    nothing_created(db, t)


def test_same_idempotency_key_same_response_one_enrollment(training, db):
    """Seed 000 edge case: duplicate requests (idempotency part)."""
    t = training
    first = enroll(t.api, body_for(t), key="enroll-1")
    second = enroll(t.api, body_for(t), key="enroll-1")
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()
    assert count(Order) == 1 and count(Payment) == 1 and count(Enrollment) == 1
    other = enroll(t.api, body_for(t, promoCode="X"), key="enroll-1")
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert seats(t.cohort.id) == (0, 1)


def test_new_request_while_pending_resumes_the_same_order(training, db):
    """A second enrollment request (another key) continues the pending one: the
    same order gets a new payment attempt; still one active enrollment."""
    t = training
    first = enroll(t.api, body_for(t), key="a").get_json()["data"]
    second = enroll(
        t.api,
        body_for(t, formData={**body_for(t)["formData"], "phone": "+9779811111111"}),
        key="b",
    )
    assert second.status_code == 200
    data = second.get_json()["data"]
    assert set(data) == SEED_KEYS
    assert data["orderId"] == first["orderId"]
    assert data["paymentId"] != first["paymentId"]
    assert data["status"] == "payment_pending"
    assert count(Order) == 1 and count(Payment) == 2 and count(Enrollment) == 1
    enrollment = db.session.scalar(db.select(Enrollment))
    assert enrollment.form_data["phone"] == "+9779811111111"
    assert seats(t.cohort.id) == (0, 1)


def test_pending_in_another_cohort_is_a_clear_error_linking_to_it(training, db):
    t = training
    cohort_b, session_b = add_cohort(t.product)
    first = enroll(t.api, body_for(t)).get_json()["data"]
    resp = enroll(t.api, body_for(t, cohortId=cohort_b.id, sessionId=session_b.id))
    assert resp.status_code == 409
    error = resp.get_json()["error"]
    assert error["code"] == "ENROLLMENT_PENDING"
    assert error["details"]["orderId"] == first["orderId"]
    order = db.session.get(Order, first["orderId"])
    assert error["details"]["orderUrl"] == (
        f"/orders/{order.public_id}?key={order.order_key}"
    )
    assert count(Order) == 1 and count(Enrollment) == 1


def test_pending_with_a_different_promo_is_refused(training, factory, db):
    t = training
    factory.promotion(code="TRAIN2026", value=20)
    enroll(t.api, body_for(t))
    bad = enroll(t.api, body_for(t, promoCode="NOPE"))
    assert bad.get_json()["error"]["code"] == "PROMOTION_NOT_APPLICABLE"
    other = enroll(t.api, body_for(t, promoCode="TRAIN2026"))
    assert other.status_code == 409
    assert other.get_json()["error"]["code"] == "ENROLLMENT_PENDING"
    assert count(Order) == 1


def test_enrollments_endpoint_lists_status_and_order(training, db):
    t = training
    init = enroll(t.api, body_for(t)).get_json()["data"]
    resp = t.api.get("/api/mobile/training/enrollments")
    assert resp.status_code == 200
    (item,) = resp.get_json()["data"]
    assert item["status"] == "pending"
    assert item["orderId"] == init["orderId"]
    assert item["orderStatus"] == "payment_pending"
    assert item["productId"] == t.product.id
    assert item["cohort"]["id"] == t.cohort.id
    assert item["cohort"]["startsOn"] == t.cohort.starts_on.isoformat()
    assert item["session"]["id"] == t.session.id
    assert item["accessType"] is None and item["accessValidUntil"] is None


def test_openapi_documents_the_endpoints(training, client):
    spec = client.get("/api/openapi.json").get_json()
    op = spec["paths"]["/api/mobile/training/enroll"]["post"]
    assert (
        "formData"
        in op["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )
    assert "get" in spec["paths"]["/api/mobile/training/enrollments"]

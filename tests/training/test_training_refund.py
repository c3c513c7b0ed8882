"""Issue #14: a paid training is refunded in eSewa's merchant portal; staff
record the portal's reference and the seat, the enrollment and the access
follow, and the customer is emailed."""

from __future__ import annotations

from sqlalchemy import select

from app.catalog.models import TrainingCohort
from app.library.models import ProductAccess
from app.orders.models import Order
from app.payments.refunds import record_refund
from app.training.models import Enrollment
from tests.training.conftest import body_for, enroll, pay_and_return, seats


def _access(db, user, product) -> ProductAccess | None:
    db.session.rollback()
    return db.session.scalar(
        select(ProductAccess).where(
            ProductAccess.user_id == user.id, ProductAccess.product_id == product.id
        )
    )


def test_training_refund_gives_the_seat_back(training, live_url, db, jobs, smtp_sink):
    resp = enroll(training.api, body_for(training))
    init = resp.get_json()["data"]
    pay_and_return(live_url, init)
    jobs.run()
    assert seats(training.cohort.id) == (1, 0)
    refund = record_refund(
        init["orderId"], reference="ESW-77", reason="cannot attend", actor_id=None
    )
    db.session.commit()
    db.session.rollback()
    order = db.session.get(Order, init["orderId"])
    assert order.status == "refunded" and refund.lines == [
        {"item_id": order.items[0].id, "quantity": 1}
    ]
    assert seats(training.cohort.id) == (0, 0)
    enrollment = db.session.scalar(select(Enrollment))
    assert enrollment.status == "cancelled"
    assert _access(db, training.user, training.product).revoked_at is not None
    jobs.run()
    assert any(
        "was refunded" in str(m["Subject"]) for m in smtp_sink.to("sita@example.com")
    )
    assert db.session.get(TrainingCohort, training.cohort.id).seats_taken == 0

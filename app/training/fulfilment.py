"""What a training order delivers: a seat in the cohort and access to its sessions.

These hooks run inside the transaction whose conditional UPDATE won the order's
transition (`app.orders.fulfilment`), so each runs once per order however many
redirects, webhooks and retries arrive.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.catalog.models import Product
from app.extensions import db
from app.library.services import grant_access, revoke_for_order
from app.mail.services import queue_email
from app.orders.fulfilment import RefundedLines
from app.orders.models import Order
from app.training.models import Enrollment
from app.training.seats import convert_hold, give_back_seat, release_hold, take_seat
from app.training.services import enrollment_for_order
from app.training.states import (
    ACTIVE_ENROLLMENT_STATUSES,
    enrollment_transition,
    is_enrolled,
    is_pending,
)

log = logging.getLogger(__name__)


def paid(order: Order, late: bool) -> bool:
    """Move the order's enrollment from pending to enrolled, counting its seat once.

    A pending enrollment converts its hold (held - 1, taken + 1). An enrollment
    whose hold was released (a capture that arrives after auto-cancel) takes a
    free seat if there is one; if the cohort filled up meanwhile, or the user has
    enrolled again through another order, nothing is delivered and False is
    returned: the order stays paid and is flagged `needs_refund`.
    """
    enrollment = enrollment_for_order(order.id)
    if enrollment is None:
        log.error("paid training order %s has no enrollment", order.id)
        return False
    if is_enrolled(enrollment.status):
        return True
    if enrollment.holds_seat and is_pending(enrollment.status):
        if not convert_hold(enrollment) and not take_seat(enrollment.cohort_id):
            return _undeliverable(enrollment, "the held seat was already released")
    else:
        other = db.session.scalar(
            select(Enrollment.id).where(
                Enrollment.user_id == enrollment.user_id,
                Enrollment.product_id == enrollment.product_id,
                Enrollment.status.in_(ACTIVE_ENROLLMENT_STATUSES),
                Enrollment.id != enrollment.id,
            )
        )
        if other is not None:
            return _undeliverable(enrollment, f"the user has enrollment {other}")
        if not take_seat(enrollment.cohort_id):
            return _undeliverable(enrollment, "the cohort is full")
        try:
            with db.session.begin_nested():
                if not is_pending(enrollment.status):
                    enrollment_transition(enrollment, "reopen")
                db.session.flush()
        except IntegrityError:
            # A new enrollment for the same training appeared concurrently.
            db.session.refresh(enrollment)
            give_back_seat(enrollment.cohort_id)
            return _undeliverable(enrollment, "a concurrent enrollment exists")
    product = db.session.get(Product, enrollment.product_id)
    access = grant_access(
        enrollment.user_id, product.id, order.id, product.validity_days
    )
    enrollment_transition(enrollment, "enroll")
    enrollment.order_id = order.id
    enrollment.access_type = access.access_type
    enrollment.access_valid_until = access.valid_until
    db.session.flush()
    if order.customer_email:
        queue_email(
            f"enrollment-order-{order.id}",
            order.customer_email,
            "enrollment_confirmed",
            {"order_id": order.id, "enrollment_id": enrollment.id},
        )
    return True


def _undeliverable(enrollment: Enrollment, why: str) -> bool:
    log.warning("enrollment %s cannot be completed: %s", enrollment.id, why)
    if enrollment.holds_seat:
        release_hold(enrollment)
    if is_pending(enrollment.status):  # a released hold is cancelled already
        enrollment_transition(enrollment, "cancel")
    db.session.flush()
    return False


def cancelled(order: Order) -> None:
    """An unpaid order was cancelled: release the hold; the enrollment never
    becomes enrolled through this order."""
    enrollment = enrollment_for_order(order.id)
    if enrollment is None or is_enrolled(enrollment.status):
        return
    if enrollment.holds_seat:
        release_hold(enrollment)
    if is_pending(enrollment.status):
        enrollment_transition(enrollment, "cancel")
    db.session.flush()


def refunded(order: Order, lines: RefundedLines = None) -> None:
    """A paid enrollment was refunded: the seat goes back and access ends.

    A training order has one line (one seat); a refund of an amount only
    (no line) leaves the enrollment as it is.
    """
    if lines is not None and not any(lines.values()):
        return
    enrollment = enrollment_for_order(order.id)
    if enrollment is not None and is_enrolled(enrollment.status):
        give_back_seat(enrollment.cohort_id)
        enrollment_transition(enrollment, "refund")
        db.session.flush()
    revoke_for_order(order.id)

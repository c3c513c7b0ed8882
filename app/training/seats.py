"""Cohort seats: `taken + held <= capacity`, kept by conditional UPDATEs.

A pending enrollment holds a seat (`take_hold`); payment converts the hold
(`convert_hold`), cancellation releases it (`release_hold`), a refund gives the
seat back (`give_back_seat`). Each is one `guarded_update`, and a CHECK
constraint is the backstop.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.catalog.models import TrainingCohort
from app.conditional import guarded_update
from app.db import utcnow
from app.extensions import db
from app.orders.models import Order
from app.orders.states import OPEN_ORDER_STATUSES
from app.payments.cancellation import lock_orders
from app.payments.jobs import handle_auto_cancel
from app.services_errors import Conflict
from app.training.models import Enrollment

# At most this many expired holds are closed inline when a cohort looks full
# (each costs a gateway status check).
EXPIRED_SWEEP_LIMIT = 2


def _seat_free():
    return (
        TrainingCohort.seats_taken + TrainingCohort.seats_held + 1
        <= TrainingCohort.capacity
    )


def hold_seat(cohort_id: int) -> bool:
    return guarded_update(
        TrainingCohort,
        cohort_id,
        _seat_free(),
        seats_held=TrainingCohort.seats_held + 1,
    )


def expired_holders(cohort_id: int) -> list[int]:
    """Unpaid training orders past their deadline that still hold a seat here."""
    return list(
        db.session.scalars(
            select(Order.id)
            .join(Enrollment, Enrollment.order_id == Order.id)
            .where(
                Enrollment.cohort_id == cohort_id,
                Enrollment.holds_seat.is_(True),
                Order.status.in_(OPEN_ORDER_STATUSES),
                Order.expires_at <= utcnow(),
            )
            .order_by(Order.id)
            .limit(EXPIRED_SWEEP_LIMIT)
        )
    )


def take_hold(cohort: TrainingCohort) -> None:
    """Hold one seat (taken + held + 1 <= capacity) or refuse with COHORT_FULL.

    Only unexpired pending enrollments may hold a seat: when the cohort looks
    full, a few orders whose payment window has closed are run through the
    auto-cancel path (a last status check with the gateway, then cancel and
    release) until one seat comes free.
    """
    if hold_seat(cohort.id):  # no row is locked when this finds no seat
        return
    holders = expired_holders(cohort.id)
    # Lock order (docs/architecture.md): all the holders' payments and orders
    # before the first of them releases its seat (a cohort lock), never after.
    lock_orders(holders)
    for order_id in holders:
        handle_auto_cancel(order_id)
        if hold_seat(cohort.id):
            return
    raise Conflict(
        "COHORT_FULL",
        _("%(cohort)s is full; choose another cohort.", cohort=cohort.name),
        details={"cohortId": cohort.id, "capacity": cohort.capacity},
    )


def release_hold(enrollment: Enrollment) -> None:
    guarded_update(
        TrainingCohort,
        enrollment.cohort_id,
        TrainingCohort.seats_held > 0,
        seats_held=TrainingCohort.seats_held - 1,
    )
    enrollment.holds_seat = False


def convert_hold(enrollment: Enrollment) -> bool:
    """held - 1, taken + 1 in one statement (the sum, and so the CHECK, is kept)."""
    converted = guarded_update(
        TrainingCohort,
        enrollment.cohort_id,
        TrainingCohort.seats_held > 0,
        seats_held=TrainingCohort.seats_held - 1,
        seats_taken=TrainingCohort.seats_taken + 1,
    )
    enrollment.holds_seat = False
    return converted


def take_seat(cohort_id: int) -> bool:
    return guarded_update(
        TrainingCohort,
        cohort_id,
        _seat_free(),
        seats_taken=TrainingCohort.seats_taken + 1,
    )


def give_back_seat(cohort_id: int) -> None:
    guarded_update(
        TrainingCohort,
        cohort_id,
        TrainingCohort.seats_taken > 0,
        seats_taken=TrainingCohort.seats_taken - 1,
    )

"""Training enrollment (seed 000): validate, hold a seat, create the order, pay.

The enroll endpoint only *initiates* payment. Finalisation belongs to the order
processor: `app.training.fulfilment.paid` moves the enrollment from pending to
enrolled inside the transaction that won the order's `capture` transition.

Duplicates are stopped three ways: `Idempotency-Key` (same key, same answer), a
transaction-scoped advisory lock per (user, product) on PostgreSQL (SQLite
serialises writers with BEGIN IMMEDIATE), and the partial unique index that
allows one active (pending or enrolled) enrollment per user and product.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.accounts.services import normalise_email, validate_phone
from app.catalog.models import Product, TrainingCohort, TrainingSession
from app.checkout.services import check_return_url
from app.db import utcnow
from app.extensions import db
from app.orders.models import Order
from app.orders.services import LineItem, create_order
from app.orders.states import (
    CLOSED_ORDER_STATUSES,
    OPEN_ORDER_STATUSES,
    OrderStatus,
    is_paid,
)
from app.payments import methods
from app.payments.deadlines import payment_deadline
from app.payments.handoff import initiate_payment
from app.payments.jobs import handle_auto_cancel
from app.payments.models import Payment
from app.promotions.models import Promotion
from app.promotions.services import PricedLine, apply_promotion
from app.services_errors import Conflict, NotFound, ServiceError
from app.training.models import Enrollment
from app.training.seats import release_hold, take_hold
from app.training.services import active_enrollment
from app.training.states import (
    EnrollmentStatus,
    enrollment_transition,
    is_enrolled,
)


@dataclass(frozen=True)
class EnrollmentRequest:
    """What the enrollment form and `POST /api/mobile/training/enroll` carry."""

    product_id: int
    cohort_id: int
    session_id: int | None
    gateway: str
    name: str
    email: str
    phone: str
    promo_code: str | None = None
    return_url: str | None = None
    payment_type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def clean_form_data(name: Any, email: Any, phone: Any) -> dict[str, str]:
    """Validate the enrollee's contact details; VALIDATION_ERROR names each field."""
    errors: dict[str, str] = {}
    clean: dict[str, str] = {}
    if not isinstance(name, str) or not name.strip():
        errors["formData.name"] = "required"
    elif len(name.strip()) > 120:
        errors["formData.name"] = "at most 120 characters"
    else:
        clean["name"] = " ".join(name.split())
    if not isinstance(email, str) or not email.strip():
        errors["formData.email"] = "required"
    else:
        try:
            clean["email"] = normalise_email(email.strip())
        except ServiceError:
            errors["formData.email"] = "not a valid email address"
    if not isinstance(phone, str) or not phone.strip():
        errors["formData.phone"] = "required"
    else:
        try:
            clean["phone"] = validate_phone(phone)
        except ServiceError:
            errors["formData.phone"] = "digits with an optional leading +"
    if errors:
        raise ServiceError(
            "VALIDATION_ERROR", _("Please correct the enrollment form."), 400, errors
        )
    return clean


def load_choice(
    product_id: int, cohort_id: int, session_id: int | None
) -> tuple[Product, TrainingCohort, TrainingSession | None]:
    """The product must be an active training, the cohort one of its cohorts, the
    session one of the cohort's sessions, and the cohort not started yet."""
    product = db.session.get(Product, product_id)
    if product is None or not product.active:
        raise NotFound(
            "PRODUCT_NOT_FOUND",
            _("No such product."),
            details={"productId": product_id},
        )
    if product.type != "training":
        raise ServiceError(
            "NOT_A_TRAINING",
            _("This product is not a training; buy it through the cart."),
            400,
            {"productId": product_id, "type": product.type},
        )
    cohort = db.session.get(TrainingCohort, cohort_id)
    if cohort is None or cohort.product_id != product.id:
        raise ServiceError(
            "COHORT_MISMATCH",
            _("That cohort does not belong to this training."),
            400,
            {"productId": product_id, "cohortId": cohort_id},
        )
    session = None
    if session_id is not None:
        session = db.session.get(TrainingSession, session_id)
        if session is None or session.cohort_id != cohort.id:
            raise ServiceError(
                "SESSION_MISMATCH",
                _("That session does not belong to the chosen cohort."),
                400,
                {"cohortId": cohort_id, "sessionId": session_id},
            )
    if cohort.starts_on <= utcnow().date():
        raise Conflict(
            "COHORT_STARTED",
            _(
                "%(cohort)s has already started; choose a later cohort.",
                cohort=cohort.name,
            ),
            details={"cohortId": cohort.id, "startsOn": cohort.starts_on.isoformat()},
        )
    return product, cohort, session


def lock_enrollment(user_id: int, product_id: int) -> None:
    """Serialise enrollment work for one (user, product) until this transaction ends.

    PostgreSQL: a transaction-scoped advisory lock (released at COMMIT/ROLLBACK).
    SQLite: nothing to do; BEGIN IMMEDIATE already admits one writer at a time.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
            {"k": f"enroll:{user_id}:{product_id}"},
        )


def order_url(order: Order) -> str:
    """The order page, opened by its key (works outside a request too)."""
    return f"/orders/{order.public_id}?key={order.order_key}"


def _pending_conflict(enrollment: Enrollment, order: Order, message: str) -> Conflict:
    return Conflict(
        "ENROLLMENT_PENDING",
        message,
        details={
            "enrollmentId": enrollment.id,
            "orderId": order.id,
            "orderStatus": order.status,
            "orderUrl": order_url(order),
        },
    )


def _same_code(order: Order, code: str | None) -> bool:
    wanted = (code or "").strip().upper()
    current = ""
    if order.promotion_id:
        promo = db.session.get(Promotion, order.promotion_id)
        current = promo.code.upper() if promo else ""
    return wanted == current


def _resume(
    user: User,
    enrollment: Enrollment,
    req: EnrollmentRequest,
    cohort: TrainingCohort,
    session: TrainingSession | None,
    form: dict[str, str],
    method,
) -> tuple[Order, Payment] | None:
    """A pending enrollment exists: pay its order again, or close it if it lapsed.

    Returns None when the old enrollment was closed and a fresh one may be made.
    """
    order = db.session.get(Order, enrollment.order_id) if enrollment.order_id else None
    if order is None or order.status in CLOSED_ORDER_STATUSES:
        _close_orphan(enrollment)
        return None
    if is_paid(order.status):
        # Paid but not enrolled is a needs_refund order; it is not active.
        _close_orphan(enrollment)
        return None
    if order.status in OPEN_ORDER_STATUSES and order.expires_at <= utcnow():
        outcome = handle_auto_cancel(order.id)
        db.session.refresh(order)
        db.session.refresh(enrollment)
        if order.status == OrderStatus.CANCELLED:
            return None
        if is_paid(order.status):
            raise Conflict(
                "ENROLLMENT_PENDING",
                _(
                    "Your earlier payment went through; your enrollment is being "
                    "confirmed. Check your enrollments in a minute."
                ),
                details={"enrollmentId": enrollment.id, "orderId": order.id},
            )
        conflict = _pending_conflict(
            enrollment,
            order,
            _(
                "We are still confirming your previous payment with the gateway; "
                "please try again in a few minutes."
            ),
        )
        conflict.details["check"] = outcome
        raise conflict
    if order.status == OrderStatus.ON_HOLD:
        raise _pending_conflict(
            enrollment,
            order,
            _(
                "Your enrollment is waiting for a payment that is already under "
                "way; see your order for the instructions."
            ),
        )
    if enrollment.cohort_id != cohort.id:
        raise _pending_conflict(
            enrollment,
            order,
            _(
                "You already have a pending enrollment in another cohort of this "
                "training. Finish its payment, or cancel that order to choose again."
            ),
        )
    if not _same_code(order, req.promo_code):
        if req.promo_code and req.promo_code.strip():
            # A bad code is still the promotion error the seed promises.
            apply_promotion(
                req.promo_code,
                [PricedLine(order.items[0].product_id, "training", order.subtotal)],
                order.currency,
                user.id,
            )
        raise _pending_conflict(
            enrollment,
            order,
            _(
                "Your pending enrollment was priced with a different promo code. "
                "Finish its payment, or cancel that order to enroll again."
            ),
        )
    # Same cohort and price: update the details and start a new attempt.
    enrollment.session_id = session.id if session else None
    enrollment.form_data = {**form, **req.extra}
    order.customer_name = form["name"]
    order.customer_email = form["email"]
    order.customer_phone = form["phone"]
    if req.return_url:
        order.return_url = req.return_url
    db.session.flush()
    payment = initiate_payment(order, method)
    return order, payment


def _close_orphan(enrollment: Enrollment) -> None:
    """An enrollment left pending by an order that can no longer pay."""
    if enrollment.holds_seat:
        release_hold(enrollment)
    enrollment_transition(enrollment, "cancel")
    db.session.flush()


def enroll(user: User, req: EnrollmentRequest) -> tuple[Order, Payment]:
    """Create (or resume) a pending enrollment, its training order and a payment.

    Every refusal raises before anything is written (and the caller's rollback
    discards anything that was): no order, payment, hold or enrollment remains.
    """
    check_return_url(req.return_url)
    form = clean_form_data(req.name, req.email, req.phone)
    method = methods.resolve_method(req.gateway, req.payment_type)
    lock_enrollment(user.id, req.product_id)
    product, cohort, session = load_choice(
        req.product_id, req.cohort_id, req.session_id
    )
    current = active_enrollment(user.id, product.id)
    if current is not None:
        if is_enrolled(current.status):
            raise Conflict(
                "ALREADY_ENROLLED",
                _("You are already enrolled in this training."),
                details={
                    "enrollmentId": current.id,
                    "orderId": current.order_id,
                    "cohortId": current.cohort_id,
                },
            )
        resumed = _resume(user, current, req, cohort, session, form, method)
        if resumed is not None:
            return resumed
    # Lock order (docs/architecture.md): the seat (and the sweep of expired
    # holds, payments and orders first) before the promotion's row, as a capture
    # takes them. A refusal below rolls the hold back with everything else.
    take_hold(cohort)
    promo, discount = apply_promotion(
        req.promo_code,
        [PricedLine(product.id, product.type, product.price)],
        product.currency,
        user.id,
    )
    methods.check_method(
        method,
        methods.OrderFacts(
            currency=product.currency,
            total=product.price - discount,
            product_types=frozenset({"training"}),
        ),
    )
    order = create_order(
        kind="training",
        user_id=user.id,
        currency=product.currency,
        items=[
            LineItem(
                title=f"{product.title} — {cohort.name}",
                product_type="training",
                unit_price=product.price,
                product_id=product.id,
                cohort_id=cohort.id,
            )
        ],
        customer_name=form["name"],
        customer_email=form["email"],
        customer_phone=form["phone"],
        discount=discount,
        promotion_id=promo.id if promo else None,
        return_url=req.return_url,
        expires_at=payment_deadline(method, product.currency),
    )
    enrollment = Enrollment(
        user_id=user.id,
        product_id=product.id,
        cohort_id=cohort.id,
        session_id=session.id if session else None,
        status=EnrollmentStatus.PENDING,
        order_id=order.id,
        form_data={**form, **req.extra},
        holds_seat=True,
    )
    try:
        with db.session.begin_nested():
            db.session.add(enrollment)
            db.session.flush()
    except IntegrityError as exc:
        # The partial unique index: another request won between our read and write.
        raise Conflict(
            "ENROLLMENT_IN_PROGRESS",
            _(
                "Another enrollment for this training is being created; reload "
                "your enrollments."
            ),
            details={"productId": product.id},
        ) from exc
    payment = initiate_payment(order, method)
    return order, payment

"""Reading trainings and enrollments: the training page, my enrollments, and
who may open a session's content. Enrolling is `app.training.enrollment`;
seats are `app.training.seats`."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.catalog.models import Product, TrainingCohort, TrainingSession
from app.db import utcnow
from app.extensions import db
from app.orders.models import Order
from app.services_errors import NotFound
from app.training.models import Enrollment
from app.training.states import ACTIVE_ENROLLMENT_STATUSES, is_pending


def active_enrollment(user_id: int, product_id: int) -> Enrollment | None:
    return db.session.scalar(
        select(Enrollment).where(
            Enrollment.user_id == user_id,
            Enrollment.product_id == product_id,
            Enrollment.status.in_(ACTIVE_ENROLLMENT_STATUSES),
        )
    )


def enrollment_for_order(order_id: int) -> Enrollment | None:
    return db.session.scalar(
        select(Enrollment)
        .where(Enrollment.order_id == order_id)
        .order_by(Enrollment.id.desc())
    )


def enrollments_for(user_id: int) -> list[Enrollment]:
    return list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.user_id == user_id)
            .options(
                selectinload(Enrollment.product),
                selectinload(Enrollment.cohort),
                selectinload(Enrollment.session),
            )
            .order_by(Enrollment.id.desc())
        )
    )


def order_for(enrollment: Enrollment) -> Order | None:
    return db.session.get(Order, enrollment.order_id) if enrollment.order_id else None


def get_training(slug: str) -> Product:
    product = db.session.scalar(
        select(Product)
        .where(
            Product.slug == slug, Product.active.is_(True), Product.type == "training"
        )
        .options(selectinload(Product.cohorts).selectinload(TrainingCohort.sessions))
    )
    if product is None:
        raise NotFound("TRAINING_NOT_FOUND", _("No such training."))
    return product


def open_cohorts(product: Product) -> list[TrainingCohort]:
    today = utcnow().date()
    return [c for c in product.cohorts if c.starts_on > today]


@dataclass(frozen=True)
class SessionAccess:
    allowed: bool
    reason: str  # enrolled | anonymous | pending | other_cohort | expired | none
    enrollment: Enrollment | None = None
    order: Order | None = None


def session_access(user, product: Product, session: TrainingSession) -> SessionAccess:
    """May `user` open this session's content? Only an enrolled member of its
    cohort whose access is still valid; everyone else learns why not."""
    if user is None or not getattr(user, "is_authenticated", False):
        return SessionAccess(False, "anonymous")
    enrollment = active_enrollment(user.id, product.id)
    if enrollment is None:
        return SessionAccess(False, "none")
    order = order_for(enrollment)
    if is_pending(enrollment.status):
        return SessionAccess(False, "pending", enrollment, order)
    if enrollment.cohort_id != session.cohort_id:
        return SessionAccess(False, "other_cohort", enrollment, order)
    until = enrollment.access_valid_until
    if until is not None and until <= utcnow():
        return SessionAccess(False, "expired", enrollment, order)
    return SessionAccess(True, "enrolled", enrollment, order)


def get_session(product: Product, session_id: int) -> TrainingSession:
    session = db.session.get(TrainingSession, session_id)
    if session is None or session.cohort.product_id != product.id:
        raise NotFound("SESSION_NOT_FOUND", _("No such session in this training."))
    return session

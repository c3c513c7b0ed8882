"""Enrollment bodies for the JSON API."""

from __future__ import annotations

import datetime as dt

from app.training.models import Enrollment
from app.training.services import order_for


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat() + "Z"
    return value.isoformat()


def enrollment_dict(enrollment: Enrollment) -> dict:
    """`GET /api/mobile/training/enrollments` item."""
    order = order_for(enrollment)
    session = enrollment.session
    return {
        "enrollmentId": enrollment.id,
        "status": enrollment.status,
        "productId": enrollment.product_id,
        "productTitle": enrollment.product.title,
        "cohort": {
            "id": enrollment.cohort.id,
            "name": enrollment.cohort.name,
            "startsOn": _iso(enrollment.cohort.starts_on),
            "endsOn": _iso(enrollment.cohort.ends_on),
        },
        "session": {
            "id": session.id,
            "title": session.title,
            "startsAt": _iso(session.starts_at),
        }
        if session
        else None,
        "orderId": enrollment.order_id,
        "orderStatus": order.status if order else None,
        "accessType": enrollment.access_type,
        "accessValidUntil": _iso(enrollment.access_valid_until),
        "createdAt": _iso(enrollment.created_at),
    }

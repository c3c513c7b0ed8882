"""The enrollment lifecycle: pending (a seat held, payment under way) ->
enrolled (paid) -> cancelled (refunded), or pending -> cancelled (never paid).

Enrollment rows change only inside the transaction that won the order's own
transition (or under the per-user enrollment lock), so the move is applied to
the loaded row by `enrollment_transition`, checked against this table.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from app.lifecycle import IllegalTransition, Lifecycle


class EnrollmentStatus(StrEnum):
    PENDING = "pending"
    ENROLLED = "enrolled"
    CANCELLED = "cancelled"


# At most one active enrollment per user and training (a partial unique index).
ACTIVE_ENROLLMENT_STATUSES = (EnrollmentStatus.PENDING, EnrollmentStatus.ENROLLED)

ENROLLMENT_LIFECYCLE: Lifecycle[EnrollmentStatus] = Lifecycle(
    "enrollment",
    {
        "enroll": ({EnrollmentStatus.PENDING}, EnrollmentStatus.ENROLLED),
        "cancel": ({EnrollmentStatus.PENDING}, EnrollmentStatus.CANCELLED),
        "refund": ({EnrollmentStatus.ENROLLED}, EnrollmentStatus.CANCELLED),
        # A late capture found the hold released: it takes a free seat again.
        "reopen": ({EnrollmentStatus.CANCELLED}, EnrollmentStatus.PENDING),
    },
)


class _HasStatus(Protocol):
    status: str


def enrollment_transition(enrollment: _HasStatus, event: str) -> None:
    """Move a loaded enrollment (IllegalTransition if the table forbids it)."""
    enrollment.status = ENROLLMENT_LIFECYCLE.next(enrollment.status, event)


def is_enrolled(status: str) -> bool:
    return status == EnrollmentStatus.ENROLLED


def is_pending(status: str) -> bool:
    return status == EnrollmentStatus.PENDING


__all__ = [
    "ACTIVE_ENROLLMENT_STATUSES",
    "ENROLLMENT_LIFECYCLE",
    "EnrollmentStatus",
    "IllegalTransition",
    "enrollment_transition",
    "is_enrolled",
    "is_pending",
]

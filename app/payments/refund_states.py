"""The refund lifecycle: one row per refund, from the request to its outcome.

A refund through a gateway's API is *requested* (its amount and lines are
reserved), *claimed* by the one caller that talks to the gateway (processing;
committed before the call, so a second caller never calls too), then it
*succeeded* (the goods follow) or *failed* (the reservation is released). A
refund made outside our API - in eSewa's merchant portal, by bank transfer, or
at the gateway's own dashboard - is recorded as succeeded at once.
"""

from __future__ import annotations

from enum import StrEnum

from app.lifecycle import IllegalTransition, Lifecycle


class RefundStatus(StrEnum):
    REQUESTED = "requested"  # amount and lines reserved; nobody asked the gateway
    PROCESSING = "processing"  # claimed: the gateway is being (or was) asked
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # refused or unconfirmed: nothing was given back


class RefundSource(StrEnum):
    """Where the money went back."""

    GATEWAY = "gateway"  # through the gateway's refund API, by us
    RECORDED = "recorded"  # outside any API (eSewa portal, bank); staff recorded it
    EXTERNAL = "external"  # at the gateway's dashboard; learned from the gateway


REFUND_STATUSES = tuple(RefundStatus)
# Still holding its reservation: counted against what is left to refund.
OPEN_REFUND_STATUSES = frozenset({RefundStatus.REQUESTED, RefundStatus.PROCESSING})

REFUND_LIFECYCLE: Lifecycle[RefundStatus] = Lifecycle(
    "refund",
    {
        "claim": ({RefundStatus.REQUESTED}, RefundStatus.PROCESSING),
        "succeed": (OPEN_REFUND_STATUSES, RefundStatus.SUCCEEDED),
        "fail": (OPEN_REFUND_STATUSES, RefundStatus.FAILED),
    },
)


__all__ = [
    "IllegalTransition",
    "OPEN_REFUND_STATUSES",
    "REFUND_LIFECYCLE",
    "REFUND_STATUSES",
    "RefundSource",
    "RefundStatus",
]

"""The order lifecycle: its statuses and the one table of moves between them.

Nothing else assigns `Order.status`: `app.orders.transitions.order_transition`
applies these moves as conditional UPDATEs, so two workers racing on the same
order cannot both win, and a stale message cannot move a paid order back. The
payment lifecycle is `app.payments.states`; shipping is
`app.orders.shipping_states`.
"""

from __future__ import annotations

from enum import StrEnum

from app.lifecycle import IllegalTransition, Lifecycle


class OrderStatus(StrEnum):
    PAYMENT_PENDING = "payment_pending"
    ON_HOLD = "on_hold"  # konbini slip issued / manual method awaiting approval
    PAID = "paid"
    FAILED = "failed"  # the last attempt failed; a new attempt may follow
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


ORDER_STATUSES = tuple(OrderStatus)

# Still waiting for money: may be paid, retried or cancelled.
OPEN_ORDER_STATUSES = frozenset(
    {OrderStatus.PAYMENT_PENDING, OrderStatus.ON_HOLD, OrderStatus.FAILED}
)
# Settled one way or the other (a late capture may still reopen a cancelled one).
FINAL_ORDER_STATUSES = frozenset(
    {OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.REFUNDED}
)
# A new payment attempt may start (on hold means an attempt is already running).
PAYABLE_ORDER_STATUSES = frozenset({OrderStatus.PAYMENT_PENDING, OrderStatus.FAILED})
# The money is with us (paid) or went back (refunded): the order was bought.
SETTLED_ORDER_STATUSES = frozenset({OrderStatus.PAID, OrderStatus.REFUNDED})
# Over without money kept: nothing more will happen to it.
CLOSED_ORDER_STATUSES = frozenset({OrderStatus.CANCELLED, OrderStatus.REFUNDED})
# An unpaid order whose attempt failed or was cancelled; a capture now is late.
LATE_CAPTURE_STATUSES = frozenset({OrderStatus.FAILED, OrderStatus.CANCELLED})

ORDER_LIFECYCLE: Lifecycle[OrderStatus] = Lifecycle(
    "order",
    {
        "hold": ({OrderStatus.PAYMENT_PENDING}, OrderStatus.ON_HOLD),
        # A verified capture; after failed/cancelled it is a late capture that
        # reconciles to paid (seed 000's "gateway callback arrives late").
        "capture": (
            {
                OrderStatus.PAYMENT_PENDING,
                OrderStatus.ON_HOLD,
                OrderStatus.FAILED,
                OrderStatus.CANCELLED,
            },
            OrderStatus.PAID,
        ),
        "fail": (
            {OrderStatus.PAYMENT_PENDING, OrderStatus.ON_HOLD},
            OrderStatus.FAILED,
        ),
        # a new payment attempt on an order that failed
        "retry": ({OrderStatus.FAILED}, OrderStatus.PAYMENT_PENDING),
        "cancel": (OPEN_ORDER_STATUSES, OrderStatus.CANCELLED),
        "refund": ({OrderStatus.PAID}, OrderStatus.REFUNDED),
    },
)


def next_order_status(current: str, event: str) -> OrderStatus:
    return ORDER_LIFECYCLE.next(current, event)


def is_open(status: str) -> bool:
    return status in OPEN_ORDER_STATUSES


def is_paid(status: str) -> bool:
    return status == OrderStatus.PAID


__all__ = [
    "CLOSED_ORDER_STATUSES",
    "FINAL_ORDER_STATUSES",
    "IllegalTransition",
    "LATE_CAPTURE_STATUSES",
    "OPEN_ORDER_STATUSES",
    "ORDER_LIFECYCLE",
    "ORDER_STATUSES",
    "OrderStatus",
    "PAYABLE_ORDER_STATUSES",
    "SETTLED_ORDER_STATUSES",
    "is_open",
    "is_paid",
    "next_order_status",
]

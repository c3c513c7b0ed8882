"""The one table of order and payment state transitions.

Nothing else assigns `Order.status` or `Payment.status`: `app.orders.transitions`
applies these moves as conditional UPDATEs, so two workers racing on the same
order cannot both win, and a stale message cannot move a confirmed payment back.
"""

from __future__ import annotations

ORDER_STATUSES = (
    "payment_pending",
    "on_hold",
    "paid",
    "failed",
    "cancelled",
    "refunded",
)

# event -> (allowed from-states, to-state)
ORDER_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    # konbini slip issued / manual method waiting for approval
    "hold": (frozenset({"payment_pending"}), "on_hold"),
    # a verified capture; after failed/cancelled it is a late capture that
    # reconciles to paid (seed 000's "gateway callback arrives late")
    "capture": (
        frozenset({"payment_pending", "on_hold", "failed", "cancelled"}),
        "paid",
    ),
    "fail": (frozenset({"payment_pending", "on_hold"}), "failed"),
    # a new payment attempt on an order that failed
    "retry": (frozenset({"failed"}), "payment_pending"),
    "cancel": (frozenset({"payment_pending", "on_hold", "failed"}), "cancelled"),
    "refund": (frozenset({"paid"}), "refunded"),
}

PAYMENT_STATUSES = (
    "created",
    "pending",
    "authorized",
    "captured",
    "failed",
    "cancelled",
    "expired",
    "refunded",
)

PAYMENT_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({"created"}), "pending"),
    "authorize": (frozenset({"created", "pending"}), "authorized"),
    "capture": (
        frozenset(
            {"created", "pending", "authorized", "failed", "cancelled", "expired"}
        ),
        "captured",
    ),
    "fail": (frozenset({"created", "pending"}), "failed"),
    "cancel": (frozenset({"created", "pending", "authorized"}), "cancelled"),
    "expire": (frozenset({"created", "pending", "authorized"}), "expired"),
    "refund": (frozenset({"captured"}), "refunded"),
}

FINAL_ORDER_STATUSES = frozenset({"paid", "cancelled", "refunded"})
OPEN_ORDER_STATUSES = frozenset({"payment_pending", "on_hold", "failed"})


class IllegalTransition(Exception):
    """A move the table does not allow from the current state."""

    def __init__(self, kind: str, event: str, current: str | None):
        super().__init__(f"cannot {event} a {kind} that is {current}")
        self.kind = kind
        self.event = event
        self.current = current


def next_order_status(current: str, event: str) -> str:
    allowed, target = ORDER_TRANSITIONS[event]
    if current not in allowed:
        raise IllegalTransition("order", event, current)
    return target


def next_payment_status(current: str, event: str) -> str:
    allowed, target = PAYMENT_TRANSITIONS[event]
    if current not in allowed:
        raise IllegalTransition("payment", event, current)
    return target


# --- shipping (physical goods: printed booklets) -------------------------------
# Seed 003's PROCESSING -> SHIPPED -> DELIVERED -> COMPLETED, kept apart from the
# payment states above: it starts only once the order is paid (stock taken) and
# is applied by `app.orders.transitions.shipping_transition`, on paid orders only.

FULFILMENT_STATUSES = ("processing", "shipped", "delivered", "completed", "cancelled")

SHIPPING_TRANSITIONS: dict[str, tuple[frozenset[str | None], str]] = {
    # paid and the stock taken
    "start": (frozenset({None}), "processing"),
    "ship": (frozenset({"processing"}), "shipped"),
    "deliver": (frozenset({"shipped"}), "delivered"),
    "complete": (frozenset({"delivered"}), "completed"),
    # refunded before it left the warehouse (the stock goes back)
    "cancel": (frozenset({"processing"}), "cancelled"),
}


def next_fulfilment_status(current: str | None, event: str) -> str:
    allowed, target = SHIPPING_TRANSITIONS[event]
    if current not in allowed:
        raise IllegalTransition("shipment", event, current)
    return target

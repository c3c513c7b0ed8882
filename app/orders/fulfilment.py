"""What happens to the goods when an order is paid, put on hold, cancelled or
refunded - dispatched by the order's kind.

Each product kind (cart, training, event, service, booklet) provides an
`OrderKind`: `paid(order, late) -> bool` and optionally `held`, `failed`,
`cancelled` and `refunded(order, lines)`. `app.composition` lists them and
installs them on the app, so this module - and the orders package - never
imports a product domain.

They run inside the transaction whose conditional UPDATE won the transition, so
each runs exactly once per order. `paid` returns False when the goods can no
longer be delivered (a late capture after the seat was released and then sold):
the order is still paid, and flagged `needs_refund`.

`refunded` gets the lines a refund takes back (`{OrderItem.id: quantity}`); a
refund may take back one ticket of three, one course of a cart. `None` means
every line in full (the whole order).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import Flask, current_app

from app.orders.models import Order

_EXTENSION = "storefront.order_kinds"


def _deliver_nothing(order: Order, late: bool) -> bool:
    return True


def _nothing(order: Order) -> None:
    return None


# OrderItem.id -> how many of it a refund takes back (None: all of every line).
RefundedLines = Mapping[int, int] | None


def _take_back_nothing(order: Order, lines: RefundedLines = None) -> None:
    return None


@dataclass(frozen=True)
class OrderKind:
    """The goods side of one order kind."""

    paid: Callable[[Order, bool], bool] = _deliver_nothing
    held: Callable[[Order], None] = _nothing
    # The latest payment attempt failed (the order may still be paid later).
    failed: Callable[[Order], None] = _nothing
    cancelled: Callable[[Order], None] = _nothing
    refunded: Callable[[Order, RefundedLines], None] = _take_back_nothing


_NO_GOODS = OrderKind()


def install(app: Flask, kinds: Mapping[str, OrderKind]) -> None:
    """Called once by `app.composition.wire`."""
    app.extensions[_EXTENSION] = dict(kinds)


def kind_of(order: Order) -> OrderKind:
    return current_app.extensions[_EXTENSION].get(order.kind, _NO_GOODS)


def paid(order: Order, late: bool) -> bool:
    return kind_of(order).paid(order, late)


def held(order: Order) -> None:
    kind_of(order).held(order)


def failed(order: Order) -> None:
    kind_of(order).failed(order)


def cancelled(order: Order) -> None:
    kind_of(order).cancelled(order)


def refunded(order: Order, lines: RefundedLines = None) -> None:
    kind_of(order).refunded(order, lines)

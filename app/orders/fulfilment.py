"""What happens to the goods when an order is paid, put on hold or cancelled.

Each order kind has a module with `paid(order, late) -> bool`, `held(order)` and
`cancelled(order)`. They run inside the transaction whose conditional UPDATE won
the transition, so each runs exactly once per order. `paid` returns False when the
goods can no longer be delivered (a late capture after the seat was released and
then sold): the order is still paid, and flagged `needs_refund`.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from app.orders.models import Order

KIND_MODULES = {
    "cart": "app.cart.fulfilment",
    "training": "app.training.fulfilment",
    "event": "app.events.fulfilment",
    "service": "app.rpc.fulfilment",
    "booklet": "app.booklets.fulfilment",
}


def _module(order: Order) -> ModuleType | None:
    path = KIND_MODULES.get(order.kind)
    return import_module(path) if path else None


def paid(order: Order, late: bool) -> bool:
    module = _module(order)
    return module.paid(order, late) if module else True


def held(order: Order) -> None:
    module = _module(order)
    if module and hasattr(module, "held"):
        module.held(order)


def cancelled(order: Order) -> None:
    module = _module(order)
    if module and hasattr(module, "cancelled"):
        module.cancelled(order)


def refunded(order: Order) -> None:
    module = _module(order)
    if module and hasattr(module, "refunded"):
        module.refunded(order)

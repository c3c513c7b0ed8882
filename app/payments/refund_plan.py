"""What a refund gives back: which payment, how much, and which goods.

Staff and organizers choose lines (an order item and how many of it), an
amount, or neither (everything that is left). The plan is checked against what
the buyer still has and what is left of the captured money, then *reserved*
with conditional UPDATEs (`OrderItem.refunded_quantity`,
`Payment.refund_reserved`), so two refunds racing for the last ticket or the
last yen cannot both be accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func

from app.conditional import guarded_update
from app.i18n.labels import label
from app.orders.models import Order, OrderItem
from app.orders.states import is_paid
from app.payments.attempts import captured_payments
from app.payments.models import Payment
from app.services_errors import Conflict, ServiceError


@dataclass(frozen=True)
class RefundPlan:
    order_id: int
    payment_id: int
    amount: int  # minor units
    currency: str
    lines: dict[int, int]  # OrderItem.id -> quantity taken back by this refund

    @property
    def line_list(self) -> list[dict[str, int]]:
        return [{"item_id": i, "quantity": n} for i, n in sorted(self.lines.items())]


def left_to_refund(payment: Payment) -> int:
    """Captured money no refund (open or done) has claimed yet."""
    return (payment.captured_amount or payment.amount) - payment.refund_reserved


def line_value(item: OrderItem, quantity: int, order: Order, captured: int) -> int:
    """What `quantity` of a line cost the buyer, after the order's discount (the
    discount is shared out in proportion to each line's price)."""
    if order.subtotal <= 0:
        return 0
    return item.unit_price * quantity * captured // order.subtotal


def refundable_payment(order: Order, payment_id: int | None = None) -> Payment:
    """The captured payment a refund comes out of.

    An order paid twice (two attempts captured) needs a person to say which
    money goes back, unless the caller names the payment.
    """
    captured = sorted(captured_payments(order), key=lambda p: p.id)
    if payment_id is not None:
        for payment in captured:
            if payment.id == payment_id:
                return payment
        raise Conflict(
            "PAYMENT_NOT_REFUNDABLE",
            _("That payment has not been captured, or was refunded already."),
            details={"paymentId": payment_id},
        )
    if len(captured) != 1:
        raise Conflict(
            "REFUND_NEEDS_A_PERSON",
            _(
                "This order has no single captured payment to refund; refund it "
                "from the gateway's dashboard."
            ),
            details={"captured": len(captured)},
        )
    return captured[0]


def _not_refundable(order: Order) -> Conflict:
    return Conflict(
        "ORDER_NOT_REFUNDABLE",
        _("A %(status)s order cannot be refunded.", status=label(order.status)),
        details={"status": order.status},
    )


def _clean_lines(order: Order, lines: Mapping[int, int]) -> dict[int, int]:
    items = {item.id: item for item in order.items}
    chosen: dict[int, int] = {}
    for item_id, quantity in lines.items():
        item = items.get(item_id)
        if item is None:
            raise ServiceError(
                "VALIDATION_ERROR",
                _("A chosen line is not part of this order."),
                400,
                {"itemId": item_id},
            )
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ServiceError(
                "VALIDATION_ERROR", _("Quantities must be whole numbers."), 400
            )
        if quantity < 0:
            raise ServiceError(
                "VALIDATION_ERROR", _("Quantities cannot be negative."), 400
            )
        if quantity > item.kept_quantity:
            raise Conflict(
                "LINE_ALREADY_REFUNDED",
                _(
                    "Only %(n)s of “%(title)s” can still be refunded.",
                    n=item.kept_quantity,
                    title=item.title,
                ),
                details={"itemId": item_id, "left": item.kept_quantity},
            )
        if quantity:
            chosen[item_id] = quantity
    return chosen


def plan_refund(
    order: Order,
    *,
    lines: Mapping[int, int] | None = None,
    amount: int | None = None,
    payment_id: int | None = None,
) -> RefundPlan:
    """Check a refund request; nothing is changed (see `reserve`).

    - neither lines nor amount: everything that is left;
    - lines: those goods, for what they cost (after the discount);
    - an amount alone: money back, the goods stay (a price adjustment);
    - both: those goods for that amount.
    A refund that leaves no money takes back every line the buyer still has.
    """
    if not is_paid(order.status):
        raise _not_refundable(order)
    payment = refundable_payment(order, payment_id)
    left = left_to_refund(payment)
    if left <= 0:
        raise Conflict(
            "ORDER_NOT_REFUNDABLE",
            _("Everything paid for this order has been refunded already."),
            details={"status": order.status},
        )
    chosen = _clean_lines(order, lines or {})
    if lines is not None and not chosen and amount is None:
        raise ServiceError(
            "VALIDATION_ERROR", _("Choose at least one line or an amount."), 400
        )
    if amount is not None:
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ServiceError(
                "VALIDATION_ERROR", _("The amount must be more than zero."), 400
            )
        if amount > left:
            raise Conflict(
                "REFUND_TOO_LARGE",
                _("That is more than is left to refund."),
                details={"left": left},
            )
    captured = payment.captured_amount or payment.amount
    items = {item.id: item for item in order.items}
    if lines is None and amount is None:
        amount = left
    elif amount is None:
        value = sum(line_value(items[i], n, order, captured) for i, n in chosen.items())
        keeps_goods = any(
            item.kept_quantity - chosen.get(item.id, 0) > 0 for item in order.items
        )
        amount = min(value, left) if keeps_goods else left
        if amount <= 0:
            raise Conflict(
                "NOTHING_TO_REFUND",
                _("These lines cost nothing; there is no money back."),
            )
    if amount == left:
        chosen = {item.id: item.kept_quantity for item in order.items}
        chosen = {i: n for i, n in chosen.items() if n > 0}
    return RefundPlan(order.id, payment.id, amount, payment.currency, chosen)


def reserve(plan: RefundPlan) -> bool:
    """Claim the plan's money and goods with conditional UPDATEs; False (and
    nothing claimed, once the caller rolls back) if another refund got there
    first."""
    if not guarded_update(
        Payment,
        plan.payment_id,
        Payment.refund_reserved + plan.amount
        <= func.coalesce(Payment.captured_amount, Payment.amount),
        refund_reserved=Payment.refund_reserved + plan.amount,
    ):
        return False
    for item_id, quantity in sorted(plan.lines.items()):
        if not guarded_update(
            OrderItem,
            item_id,
            OrderItem.refunded_quantity + quantity <= OrderItem.quantity,
            refunded_quantity=OrderItem.refunded_quantity + quantity,
        ):
            return False
    return True


def release(payment_id: int, amount: int, lines: list[dict[str, int]]) -> None:
    """Give a failed refund's reservation back."""
    guarded_update(
        Payment,
        payment_id,
        Payment.refund_reserved >= amount,
        refund_reserved=Payment.refund_reserved - amount,
    )
    for line in lines:
        guarded_update(
            OrderItem,
            line["item_id"],
            OrderItem.refunded_quantity >= line["quantity"],
            refunded_quantity=OrderItem.refunded_quantity - line["quantity"],
        )

"""Promo codes: applicability at checkout, usage recorded once on payment."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.db import utcnow
from app.extensions import db
from app.orders.models import Order
from app.orders.states import OrderStatus
from app.promotions.models import Promotion, PromotionUsage
from app.services_errors import ServiceError


@dataclass(frozen=True)
class PricedLine:
    product_id: int | None
    product_type: str
    amount: int  # line total in minor units


def _not_applicable(message: str, code: str | None = None) -> ServiceError:
    return ServiceError(
        "PROMOTION_NOT_APPLICABLE", message, 400, {"promoCode": code} if code else {}
    )


def _in_scope(promo: Promotion, line: PricedLine) -> bool:
    if promo.scope == "all":
        return True
    if promo.scope == "types":
        return line.product_type in (promo.product_types or [])
    if promo.scope == "products":
        return line.product_id in (promo.product_ids or [])
    return False


# Unpaid orders that still hold their discount (a failed order holds nothing
# until a new attempt reopens it).
_HOLDING_STATUSES = (OrderStatus.PAYMENT_PENDING, OrderStatus.ON_HOLD)


def _open_orders_using(promo_id: int, user_id: int | None = None) -> int:
    """Unexpired unpaid orders holding the code count against its limits (all
    of them for `max_uses`, the user's own for `per_user_limit`)."""
    query = select(func.count(Order.id)).where(
        Order.promotion_id == promo_id,
        Order.status.in_(_HOLDING_STATUSES),
        Order.expires_at > utcnow(),
    )
    if user_id is not None:
        query = query.where(Order.user_id == user_id)
    return db.session.scalar(query)


def _used_by(promo_id: int, user_id: int) -> int:
    return db.session.scalar(
        select(func.count(PromotionUsage.id)).where(
            PromotionUsage.promotion_id == promo_id,
            PromotionUsage.user_id == user_id,
        )
    )


def apply_promotion(
    code: str | None,
    lines: list[PricedLine],
    currency: str,
    user_id: int | None,
    lock: bool = True,
    event_id: int | None = None,
) -> tuple[Promotion | None, int]:
    """Return (promotion, discount) or raise PROMOTION_NOT_APPLICABLE.

    `event_id` names the event whose tickets are bought (None: a shop checkout).
    An event's promotion applies only there and a shop promotion never does
    (422: the code exists but belongs to another checkout).

    Checkout locks the code's row (`lock`); a preview before paying (the cart
    page) asks the same rules without a lock, so the shopper sees the total and
    the reason a code does not apply exactly as checkout would decide them."""
    if code is None or (isinstance(code, str) and not code.strip()):
        return None, 0
    if not isinstance(code, str) or len(code) > 40:
        raise _not_applicable(_("That promo code is not valid."))
    query = select(Promotion).where(func.upper(Promotion.code) == code.strip().upper())
    if lock:
        # Lock the code's row until this checkout commits, so two checkouts at
        # its last use cannot both count the same free slot (PostgreSQL; SQLite
        # transactions are already serialized).
        query = query.with_for_update()
    promo = db.session.scalar(query)
    now = utcnow()
    if promo is None or not promo.active:
        raise _not_applicable(_("That promo code does not exist."), code)
    if promo.event_id != event_id:
        raise ServiceError(
            "PROMOTION_NOT_APPLICABLE",
            _("This promo code is not valid for this checkout.")
            if event_id is None
            else _("This promo code is not valid for this event."),
            422,
            {"promoCode": code},
        )
    if (promo.starts_at and now < promo.starts_at) or (
        promo.ends_at and now > promo.ends_at
    ):
        raise _not_applicable(_("That promo code is not valid right now."), code)
    if promo.max_uses is not None and (
        promo.uses_count + _open_orders_using(promo.id) >= promo.max_uses
    ):
        raise _not_applicable(_("That promo code has been used up."), code)
    if promo.per_user_limit is not None and user_id is not None:
        used = _used_by(promo.id, user_id) + _open_orders_using(promo.id, user_id)
        if used >= promo.per_user_limit:
            raise _not_applicable(_("You have already used this promo code."), code)
    eligible = sum(line.amount for line in lines if _in_scope(promo, line))
    if eligible == 0:
        raise _not_applicable(_("This promo code does not apply to these items."), code)
    if promo.kind == "percent":
        discount = eligible * min(max(promo.value, 0), 100) // 100
    else:
        if promo.currency and promo.currency != currency:
            raise _not_applicable(_("This promo code is for another currency."), code)
        discount = min(promo.value, eligible)
    return promo, discount


def record_usage(order: Order) -> bool:
    """Once per order (unique order_id): the usage row and the counter move together.

    Called for every paid order with a discount, a late capture too: the buyer
    paid the price they were shown, so the use is honoured and counted even when
    it goes past `max_uses` or the buyer's `per_user_limit` (an order cancelled
    at its deadline gave its slot to someone else, then was paid after all).
    Such an order is flagged `promotion_past_limit` for staff (docs/decisions.md,
    issue #13). Returns False when the usage was already recorded.
    """
    try:
        with db.session.begin_nested():
            db.session.add(
                PromotionUsage(
                    promotion_id=order.promotion_id,
                    user_id=order.user_id,
                    order_id=order.id,
                    discount=order.discount,
                )
            )
            db.session.flush()
    except IntegrityError:
        return False
    db.session.execute(
        update(Promotion)
        .where(Promotion.id == order.promotion_id)
        .values(uses_count=Promotion.uses_count + 1)
    )
    if _past_limit(order):
        db.session.execute(
            update(Order).where(Order.id == order.id).values(promotion_past_limit=True)
        )
    return True


def _past_limit(order: Order) -> bool:
    """After this order's use was counted: is the code over one of its limits?"""
    promo = db.session.execute(
        select(
            Promotion.max_uses, Promotion.per_user_limit, Promotion.uses_count
        ).where(Promotion.id == order.promotion_id)
    ).one()
    if promo.max_uses is not None and promo.uses_count > promo.max_uses:
        return True
    return (
        promo.per_user_limit is not None
        and order.user_id is not None
        and _used_by(order.promotion_id, order.user_id) > promo.per_user_limit
    )

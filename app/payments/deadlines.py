"""How long an unpaid order (and what it holds) waits, per payment method.

Each method follows its gateway's own clock, set in its JSON settings:

- `hold_minutes`: a hosted page the buyer finishes in one sitting (eSewa, a
  card, the payment session): minutes;
- `deadline_days`: money that arrives later (a bank transfer): the end of the
  last day, 23:59:59 where the payment is made (Nepal time for NPR, Japan time
  for JPY), so a buyer with "3 days" has all of the third day;
- a konbini slip: minutes until the slip is issued, then the slip's own
  `payment_deadline` (set when the gateway authorizes it, in `finalise`).

A method without either falls back to `ORDER_TIMEOUT_MINUTES`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app

from app.db import utcnow
from app.i18n.preferences import payment_zone
from app.orders.models import Order
from app.orders.services import schedule_auto_cancel
from app.payments.models import PaymentMethod

END_OF_DAY = dt.time(23, 59, 59)


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def payment_deadline(
    method: PaymentMethod, currency: str, start: dt.datetime | None = None
) -> dt.datetime:
    """When an order paid with `method` and started at `start` lapses (naive UTC)."""
    start = start or utcnow()
    settings = method.settings or {}
    days = _positive_int(settings.get("deadline_days"))
    if days is not None:
        zone = ZoneInfo(payment_zone(currency))
        local = start.replace(tzinfo=dt.UTC).astimezone(zone)
        last = dt.datetime.combine(local.date() + dt.timedelta(days=days), END_OF_DAY)
        return last.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)
    minutes = _positive_int(settings.get("hold_minutes")) or int(
        current_app.config["ORDER_TIMEOUT_MINUTES"]
    )
    return start + dt.timedelta(minutes=minutes)


def extend_for_method(order: Order, method: PaymentMethod) -> None:
    """A new attempt with a slower method gets that method's time, counted from
    when the order was made: switching from eSewa to a bank transfer gives the
    transfer its days, but retrying never holds goods longer than the slowest
    method allows. A merchant's order keeps the expiry the merchant set."""
    if order.kind == "service":
        return
    deadline = payment_deadline(method, order.currency, order.created_at)
    if deadline > order.expires_at:
        order.expires_at = deadline
        schedule_auto_cancel(order)

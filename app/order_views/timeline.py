"""The customer's timeline of an order: what happened, in plain words.

Staff pages (the organizer's order page, the back office's payment events)
keep the technical log: every redirect, webhook and status check with the
gateway's own words. A customer needs none of that - no gateway URLs, no
repeated "status check: not found", no "next check due" once the order is
paid - only the moments that changed something for them, once each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _

from app.i18n.labels import method_name
from app.orders.models import Order
from app.orders.states import OrderStatus
from app.payments.states import PaymentStatus


@dataclass(frozen=True)
class Moment:
    at: dt.datetime
    text: str
    tone: str = ""  # "", "ok", "bad": how the line is shown


def customer_timeline(order: Order) -> list[Moment]:
    moments = [Moment(order.created_at, _("Order placed"))]
    for payment in order.payments:
        name = method_name(payment.method, payment.method)
        moments.append(
            Moment(payment.created_at, _("Payment started (%(method)s)", method=name))
        )
        done = payment.completed_at or payment.updated_at or payment.created_at
        status = payment.status
        if status == PaymentStatus.AUTHORIZED:
            moments.append(
                Moment(done, _("Payment slip issued: waiting for your payment"))
            )
        elif status == PaymentStatus.FAILED:
            moments.append(Moment(done, _("The payment did not go through"), "bad"))
        elif status == PaymentStatus.CANCELLED:
            moments.append(Moment(done, _("Payment cancelled"), "bad"))
        elif status == PaymentStatus.EXPIRED:
            moments.append(Moment(done, _("Payment deadline passed"), "bad"))
        elif status in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
            moments.append(Moment(done, _("Payment received"), "ok"))
    if order.status == OrderStatus.CANCELLED and order.cancelled_at:
        moments.append(Moment(order.cancelled_at, _("Order cancelled"), "bad"))
    if order.status == OrderStatus.REFUNDED:
        moments.append(
            Moment(order.updated_at or order.created_at, _("Refunded"), "bad")
        )
    moments.sort(key=lambda m: m.at)
    return moments

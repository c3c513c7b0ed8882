"""Settlements (seed 002's `settlements` URL): what was captured, what was
refunded, and what is therefore due, per day.

A day is a calendar day where the money is (India time for INR, the
payment's own zone for others), as a merchant reads a bank statement. Captures
count on the day they completed, refunds on the day they went through; the
amount due for a day is the captures less the refunds (negative when refunds
of earlier sales outweigh the day's sales).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.extensions import db
from app.i18n.preferences import payment_zone
from app.orders.models import Order
from app.payments.models import Payment, Refund
from app.payments.refund_states import RefundStatus
from app.payments.states import SETTLED_PAYMENT_STATUSES
from app.rpc.serializers import major


def _day(moment: dt.datetime, currency: str) -> str:
    zone = ZoneInfo(payment_zone(currency))
    return moment.replace(tzinfo=dt.UTC).astimezone(zone).date().isoformat()


def settlements(orders: Iterable[Order]) -> list[dict]:
    """One row per (day, currency), oldest first."""
    ids = [o.id for o in orders]
    if not ids:
        return []
    rows: dict[tuple[str, str], dict] = {}

    def row(day: str, currency: str) -> dict:
        return rows.setdefault(
            (day, currency),
            {"captured": 0, "refunded": 0, "payments": [], "refunds": []},
        )

    captured = db.session.scalars(
        select(Payment).where(
            Payment.order_id.in_(ids),
            Payment.status.in_(SETTLED_PAYMENT_STATUSES),
            Payment.completed_at.is_not(None),
        )
    )
    for payment in captured:
        entry = row(_day(payment.completed_at, payment.currency), payment.currency)
        entry["captured"] += payment.captured_amount or payment.amount
        entry["payments"].append(str(payment.id))
    refunds = db.session.scalars(
        select(Refund).where(
            Refund.order_id.in_(ids),
            Refund.status == RefundStatus.SUCCEEDED,
            Refund.completed_at.is_not(None),
        )
    )
    for refund in refunds:
        entry = row(_day(refund.completed_at, refund.currency), refund.currency)
        entry["refunded"] += refund.amount
        entry["refunds"].append(f"refund-{refund.id}")
    return [
        {
            "settlement_date": day,
            "settlement_currency": currency,
            "captured_amount": major(entry["captured"], currency),
            "refunded_amount": major(entry["refunded"], currency),
            "settlement_amount": major(entry["captured"] - entry["refunded"], currency),
            "payments": entry["payments"],
            "refunds": entry["refunds"],
        }
        for (day, currency), entry in sorted(rows.items())
    ]

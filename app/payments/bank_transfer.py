"""Bank transfer (seed 003's manual method) as buyers use it.

The buyer gets the shop's bank account (from the method's JSON settings, per
currency), the amount, the deadline and a short reference to write on the
transfer - on the result and order pages, in the checkout API's answer and by
email - and a reminder a day before the deadline. Staff then confirm the money
by that reference (`bank_receipts`).

Settings (`PaymentMethod.settings`): `deadline_days`, and either
`bank_name`/`account_name`/`account_number`, or `accounts` with those three per
currency (`{"NPR": {...}, "JPY": {...}}`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.db import utcnow
from app.extensions import db
from app.mail.services import queue_email
from app.money import format_amount
from app.orders.models import Order
from app.orders.states import OrderStatus
from app.outbox.services import emit
from app.payments.models import Payment, PaymentMethod
from app.payments.states import PaymentStatus

ACCOUNT_FIELDS = ("bank_name", "account_name", "account_number")
REMINDER_BEFORE = dt.timedelta(days=1)
# No reminder when the deadline is this close anyway (the first email is fresh).
REMINDER_MIN_LEAD = dt.timedelta(hours=2)


def account_for(method: PaymentMethod, currency: str) -> dict[str, str] | None:
    """The bank account a transfer in `currency` goes to, or None if the method
    has none configured for it."""
    settings = method.settings or {}
    accounts = settings.get("accounts")
    account = accounts.get(currency) if isinstance(accounts, dict) else None
    if not isinstance(account, dict):
        account = settings
    found = {name: str(account.get(name) or "").strip() for name in ACCOUNT_FIELDS}
    return found if found["account_number"] and found["bank_name"] else None


def iso_utc(moment: dt.datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


def transfer_instructions(
    method: PaymentMethod, order: Order, payment: Payment
) -> dict[str, Any]:
    """The API's `instructions` object; pages and emails show the same."""
    account = account_for(method, order.currency) or dict.fromkeys(ACCOUNT_FIELDS, "")
    return {
        "bankName": account["bank_name"],
        "accountName": account["account_name"],
        "accountNumber": account["account_number"],
        "reference": payment.gateway_txn_id,
        "amount": format_amount(payment.amount, payment.currency),
        "deadline": iso_utc(order.expires_at),
    }


def book_transfer_emails(order: Order, payment: Payment) -> None:
    """The instructions now, and a reminder a day before the deadline."""
    if not order.customer_email:
        return
    queue_email(
        f"on-hold-order-{order.id}-payment-{payment.id}",
        order.customer_email,
        "order_on_hold",
        {"order_id": order.id, "payment_id": payment.id},
    )
    remind_at = order.expires_at - REMINDER_BEFORE
    if remind_at > utcnow() + REMINDER_MIN_LEAD:
        emit(
            "payment.transfer_reminder",
            {"payment_id": payment.id},
            available_at=remind_at,
            dedupe_key=f"transfer-reminder-{payment.id}",
        )


def handle_transfer_reminder(payment_id: int) -> str:
    """`payment.transfer_reminder`: remind the buyer, unless the money came."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status != PaymentStatus.AUTHORIZED:
        return "nothing-to-do"
    order = payment.order
    if order.status != OrderStatus.ON_HOLD or not order.customer_email:
        return "nothing-to-do"
    queue_email(
        f"transfer-reminder-{payment.id}",
        order.customer_email,
        "transfer_reminder",
        {"order_id": order.id, "payment_id": payment.id},
    )
    return "reminded"

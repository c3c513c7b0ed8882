"""Money that arrived by bank transfer: matched by reference, or queued for a
person.

Staff confirm a transfer they see in the bank (its reference and the amount
received), or import the bank's statement (`statements`). Each becomes one
`BankReceipt`. An exact amount, on time, for an order still on hold pays it at
once through `finalise.apply_result` - the path every gateway capture takes,
so fulfilment, promotion usage and the receipt email happen once. Anything
else waits in the review queue (`ReceiptProblem` says why) until a person
accepts it as the payment or sends the money back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.db import utcnow
from app.extensions import db
from app.i18n.preferences import payment_zone
from app.money import format_amount
from app.orders.states import OrderStatus
from app.payments.audit import log_event
from app.payments.finalise import apply_result
from app.payments.gateways import base as gw
from app.payments.gateways.manual import find_reference
from app.payments.models import BankReceipt, Payment
from app.payments.receipt_states import ReceiptProblem, ReceiptStatus
from app.payments.states import PaymentStatus, is_settled
from app.payments.transitions import receipt_transition
from app.services_errors import Conflict, NotFound, ServiceError

SOURCE_STAFF = "staff"
SOURCE_STATEMENT = "statement"


@dataclass(frozen=True)
class ReceivedTransfer:
    """One incoming transfer as the bank shows it."""

    text: str  # the reference / description the bank printed
    amount: int  # minor units
    currency: str | None  # None: the statement did not say
    received_on: dt.date
    fingerprint: str  # unique per statement line (or per staff form)


def payment_for_reference(text: str) -> Payment | None:
    reference = find_reference(text)
    if reference is None:
        return None
    return db.session.scalar(
        select(Payment).where(
            Payment.gateway == "manual", Payment.gateway_txn_id == reference
        )
    )


def _deadline_day(payment: Payment) -> dt.date:
    """The last day (where the payment is made) a transfer counts as on time."""
    zone = ZoneInfo(payment_zone(payment.currency))
    deadline = payment.approve_by or payment.order.expires_at
    return deadline.replace(tzinfo=dt.UTC).astimezone(zone).date()


def judge(
    payment: Payment | None, received: ReceivedTransfer
) -> tuple[bool, ReceiptProblem | None]:
    """(pays the order now, why a person must look) for one transfer."""
    if payment is None:
        return False, ReceiptProblem.UNKNOWN_REFERENCE
    if received.currency and received.currency != payment.currency:
        return False, ReceiptProblem.CURRENCY
    if is_settled(payment.status):
        return False, ReceiptProblem.ALREADY_PAID
    on_hold = (
        payment.status == PaymentStatus.AUTHORIZED
        and payment.order.status == OrderStatus.ON_HOLD
    )
    if not on_hold or received.received_on > _deadline_day(payment):
        return False, ReceiptProblem.LATE
    if received.amount < payment.amount:
        return False, ReceiptProblem.SHORT
    if received.amount > payment.amount:
        return True, ReceiptProblem.OVER
    return True, None


def _pay(payment: Payment, receipt: BankReceipt, who: str) -> str:
    """Pay the order through the one finalisation path."""
    log_event(
        gateway="manual",
        kind="note",
        payment=payment,
        outcome="transfer_received",
        detail=f"{format_amount(receipt.amount, receipt.currency)} "
        f"{receipt.currency} on {receipt.received_on.isoformat()} "
        f"({receipt.source}, receipt #{receipt.id}); {who}",
    )
    truth = gw.GatewayResult(
        status=gw.CAPTURED,
        amount=payment.amount,
        currency=payment.currency,
        reference=f"receipt-{receipt.id}",
        message=f"bank transfer received (receipt #{receipt.id})",
    )
    return apply_result(payment, truth, "bank")


def record_receipt(
    received: ReceivedTransfer, source: str, actor_id: int | None
) -> BankReceipt | None:
    """Match one transfer and pay or queue it. None if this statement line (or
    this staff form) was recorded already: importing twice adds nothing."""
    if db.session.scalar(
        select(BankReceipt.id).where(BankReceipt.fingerprint == received.fingerprint)
    ):
        return None
    payment = payment_for_reference(received.text)
    pays, problem = judge(payment, received)
    receipt = BankReceipt(
        fingerprint=received.fingerprint,
        reference=received.text[:200],
        payment_id=payment.id if payment else None,
        amount=received.amount,
        currency=received.currency or (payment.currency if payment else "XXX"),
        received_on=received.received_on,
        source=source,
        status=ReceiptStatus.REVIEW if problem else ReceiptStatus.MATCHED,
        problem=problem,
        actor_id=actor_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(receipt)
            db.session.flush()
    except IntegrityError:
        return None  # a concurrent import recorded the same line
    if pays:
        _pay(payment, receipt, f"matched by {source}")
    elif payment is not None:
        log_event(
            gateway="manual",
            kind="note",
            payment=payment,
            outcome="transfer_needs_review",
            detail=f"{problem}: {format_amount(received.amount, receipt.currency)} "
            f"{receipt.currency} on {received.received_on.isoformat()}",
        )
    return receipt


def confirm_transfer(
    reference: str,
    amount: int,
    received_on: dt.date,
    actor_id: int | None,
    key: str,
) -> BankReceipt:
    """Staff saw a transfer arrive: record it by its reference and amount.

    The same form submitted twice (`key`) records it once. An unknown
    reference is refused (400) rather than queued: staff can correct a typo.
    """
    if not find_reference(reference):
        raise ServiceError(
            "UNKNOWN_REFERENCE",
            _("That is not a transfer reference (they look like BT00001K)."),
            400,
        )
    if payment_for_reference(reference) is None:
        raise NotFound("UNKNOWN_REFERENCE", _("No bank transfer has that reference."))
    if amount <= 0:
        raise ServiceError("VALIDATION_ERROR", _("Enter the amount received."), 400)
    fingerprint = f"staff-{key}"[:64]
    received = ReceivedTransfer(reference, amount, None, received_on, fingerprint)
    receipt = record_receipt(received, SOURCE_STAFF, actor_id)
    if receipt is None:  # the same form again
        receipt = db.session.scalar(
            select(BankReceipt).where(BankReceipt.fingerprint == fingerprint)
        )
    return receipt


def resolve_receipt(
    receipt_id: int,
    how: str,
    note: str,
    actor_id: int | None,
    reference: str = "",
) -> BankReceipt:
    """A person decides about a receipt in the review queue.

    - `accept`: take it as the payment (with `reference`, for a transfer whose
      reference was mistyped): the order is paid - a late one through the
      late-capture path, so goods that are gone make it `needs_refund`;
    - `return`: the money was sent back to the buyer (`note` says how).
    """
    receipt = db.session.get(BankReceipt, receipt_id)
    if receipt is None:
        raise NotFound("RECEIPT_NOT_FOUND", _("No such receipt."))
    note = (note or "").strip()
    if how not in ("accept", "return"):
        raise ServiceError("VALIDATION_ERROR", _("Accept it or send it back."), 400)
    if how == "return" and not note:
        raise ServiceError(
            "REASON_REQUIRED", _("Say how the money was sent back."), 422
        )
    payment = receipt.payment
    if how == "accept" and reference.strip():
        payment = payment_for_reference(reference)
        if payment is None:
            raise NotFound(
                "UNKNOWN_REFERENCE", _("No bank transfer has that reference.")
            )
    if how == "accept" and payment is None:
        raise Conflict(
            "NO_PAYMENT",
            _("This transfer names no order: give the right reference to accept it."),
        )
    if not receipt_transition(
        receipt.id,
        how,
        resolved_by=actor_id,
        resolved_at=utcnow(),
        note=note[:500],
        payment_id=payment.id if payment else None,
    ):
        raise Conflict("RECEIPT_RESOLVED", _("Someone resolved this receipt already."))
    db.session.refresh(receipt)
    if how == "accept" and not is_settled(payment.status):
        _pay(payment, receipt, f"accepted by staff #{actor_id}: {note}"[:200])
    return receipt


def review_queue() -> list[BankReceipt]:
    return list(
        db.session.scalars(
            select(BankReceipt)
            .where(BankReceipt.status == ReceiptStatus.REVIEW)
            .order_by(BankReceipt.id)
        )
    )


def awaiting_transfers(limit: int = 200) -> list[Payment]:
    """Bank transfers the shop is waiting for (orders on hold), oldest first."""
    return list(
        db.session.scalars(
            select(Payment)
            .where(
                Payment.gateway == "manual",
                Payment.status == PaymentStatus.AUTHORIZED,
            )
            .order_by(Payment.id)
            .limit(limit)
        )
    )


def recent_receipts(limit: int = 50) -> list[BankReceipt]:
    return list(
        db.session.scalars(
            select(BankReceipt).order_by(BankReceipt.id.desc()).limit(limit)
        )
    )

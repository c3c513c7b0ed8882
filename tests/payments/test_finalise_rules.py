"""The rules finalisation keeps for the shop's money, seen from the order.

The gateway's status API is the truth finalisation acts on, but only for the
attempt it was asked about: an answer for another amount or currency, a capture
that arrives after the order was refunded, or a second capture of a paid order
never turns into a paid order and goods; each is recorded for a person instead.
A test gateway ("teller") answers whatever each test tells it to, so every
branch of `app.payments.finalise` is reached through `verify_payment`, the one
path every browser return, webhook and retry ends in.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.library.models import ProductAccess
from app.orders.models import Order
from app.orders.services import LineItem, create_order
from app.outbox.models import OutboxEvent
from app.payments.finalise import check_now, verify_payment
from app.payments.gateways import base as gw
from app.payments.gateways import registry
from app.payments.models import Payment, PaymentEvent, PaymentMethod
from app.payments.refunds import refund_order
from app.services_errors import ServiceError


class Teller:
    """A gateway whose status API answers what the test sets in `answer`."""

    answer: dict = {}
    down = False

    def __init__(self, cfg):
        pass

    def fetch_status(self, ref):
        if Teller.down:
            raise gw.GatewayError("connection refused")
        values = {
            "status": gw.CAPTURED,
            "amount": ref.amount,
            "currency": ref.currency,
            "reference": f"tx-{ref.payment_id}",
        }
        values.update(Teller.answer)
        return gw.GatewayResult(**values)

    def refund(self, ref, amount, idempotency_key=None):
        return gw.GatewayResult(
            status=gw.REFUNDED,
            amount=amount,
            currency=ref.currency,
            reference=f"rf-{ref.payment_id}",
        )


@pytest.fixture
def teller(db, monkeypatch):
    Teller.answer = {}
    Teller.down = False
    monkeypatch.setitem(registry.FACTORIES, "teller", Teller)
    db.session.add(PaymentMethod(code="teller", name="Teller card", backend="teller"))
    db.session.commit()
    return Teller


@pytest.fixture
def buyer(factory):
    user = factory.user(email="sita@example.com", name="Sita")
    book = factory.product("digital_book", price=50000, title="Data Handbook")
    return user, book


def _order(buyer, **extra) -> Order:
    from app.extensions import db

    user, book = buyer
    order = create_order(
        kind="cart",
        user_id=user.id,
        currency=book.currency,
        **extra,
        items=[
            LineItem(
                title=book.title,
                product_type=book.type,
                unit_price=book.price,
                product_id=book.id,
            )
        ],
        customer_email=user.email,
    )
    db.session.commit()
    return order


def _attempt(order: Order) -> int:
    """A payment attempt handed off to the teller, as checkout leaves it."""
    from app.extensions import db

    payment = Payment(
        order_id=order.id,
        gateway="teller",
        method="teller",
        amount=order.total,
        currency=order.currency,
        status="pending",
        gateway_txn_id=f"teller-{order.id}-{len(order.payments)}",
    )
    db.session.add(payment)
    db.session.commit()
    return payment.id


def _verify(db, payment_id: int) -> str:
    outcome = verify_payment(payment_id, "test")
    db.session.commit()
    return outcome


def _state(db, order_id: int):
    db.session.rollback()
    order = db.session.get(Order, order_id)
    return order, {p.id: p.status for p in order.payments}


def _outcomes(db, order_id: int) -> list[tuple[str, str]]:
    return [
        (e.outcome, e.detail)
        for e in db.session.scalars(
            select(PaymentEvent)
            .where(PaymentEvent.order_id == order_id, PaymentEvent.kind == "note")
            .order_by(PaymentEvent.id)
        )
    ]


def _mail(db) -> list[str]:
    """The emails booked (each goes out once, after commit)."""
    keys = db.session.scalars(
        select(OutboxEvent.dedupe_key)
        .where(OutboxEvent.topic == "email.send")
        .order_by(OutboxEvent.id)
    )
    return [key.removeprefix("email-") for key in keys]


def _access(db, order_id: int) -> int:
    return len(
        db.session.scalars(
            select(ProductAccess).where(ProductAccess.order_id == order_id)
        ).all()
    )


def test_a_matching_capture_pays_the_order(db, teller, buyer):
    order = _order(buyer)
    payment_id = _attempt(order)

    assert _verify(db, payment_id) == "paid"

    order, payments = _state(db, order.id)
    assert order.status == "paid" and order.paid_at is not None
    assert payments == {payment_id: "captured"}
    payment = db.session.get(Payment, payment_id)
    assert payment.captured_amount == 50000 and payment.verified is True
    assert payment.gateway_reference == f"tx-{payment_id}"
    assert ("order_paid", "") in _outcomes(db, order.id)
    assert _access(db, order.id) == 1
    assert f"receipt-order-{order.id}" in _mail(db)
    assert order.needs_refund is False


def test_a_capture_without_a_currency_is_taken_in_the_payments_currency(
    db, teller, buyer
):
    """Some status APIs leave the currency out; the amount still has to match."""
    order = _order(buyer)
    payment_id = _attempt(order)
    teller.answer = {"currency": None}
    assert _verify(db, payment_id) == "paid"
    assert _state(db, order.id)[0].status == "paid"


@pytest.mark.parametrize(
    "answer",
    [
        {"amount": 49999},  # less than the order's total
        {"amount": 50001},
        {"amount": 50000, "currency": "USD"},  # the right number of other money
        {"amount": 5000000, "currency": "USD"},
    ],
    ids=["less", "more", "other-currency", "other-both"],
)
def test_a_capture_for_another_amount_or_currency_changes_nothing(
    db, teller, buyer, answer
):
    order = _order(buyer)
    currency = order.currency
    payment_id = _attempt(order)
    teller.answer = answer

    assert _verify(db, payment_id) == "amount-mismatch"

    order, payments = _state(db, order.id)
    assert order.status == "payment_pending" and order.paid_at is None
    assert payments == {payment_id: "pending"}
    assert db.session.get(Payment, payment_id).captured_amount is None
    reported = f"{answer['amount']} {answer.get('currency', currency)}"
    assert _outcomes(db, order.id) == [
        (
            "amount_mismatch",
            f"gateway reports {reported}, expected 50000 {currency}",
        )
    ]
    assert _access(db, order.id) == 0
    assert _mail(db) == []


def test_a_mismatched_answer_then_the_right_one_pays_once(db, teller, buyer):
    order = _order(buyer)
    payment_id = _attempt(order)
    teller.answer = {"amount": 1}
    assert _verify(db, payment_id) == "amount-mismatch"
    teller.answer = {}
    assert _verify(db, payment_id) == "paid"
    assert _verify(db, payment_id) == "already-final"
    assert _state(db, order.id)[0].status == "paid"
    assert _mail(db) == [f"receipt-order-{order.id}"]


def _paid_then_refunded(db, buyer) -> tuple[Order, int]:
    order = _order(buyer)
    first = _attempt(order)
    assert _verify(db, first) == "paid"
    assert refund_order(order.id, "changed my mind") == "refunded"
    db.session.commit()
    order, payments = _state(db, order.id)
    assert order.status == "refunded" and payments == {first: "refunded"}
    return order, first


def test_a_late_capture_of_a_refunded_order_does_not_make_it_paid(db, teller, buyer):
    """A second attempt (another tab, a retried konbini slip) is captured after
    the order was paid and refunded: the order stays refunded, the goods stay
    revoked, and the order is flagged so the second payment goes back too."""
    order, first = _paid_then_refunded(db, buyer)
    second = _attempt(order)
    access_before = _access(db, order.id)

    assert _verify(db, second) == "duplicate-capture"

    order, payments = _state(db, order.id)
    assert order.status == "refunded"
    assert payments == {first: "refunded", second: "captured"}
    assert order.needs_refund is True and order.refund_by is not None
    assert (
        "needs_refund",
        f"second capture by payment {second}",
    ) in _outcomes(db, order.id)
    assert _access(db, order.id) == access_before
    assert db.session.scalar(
        select(ProductAccess.revoked_at).where(ProductAccess.order_id == order.id)
    )


def test_a_stale_capture_of_the_refunded_attempt_changes_nothing(db, teller, buyer):
    order, first = _paid_then_refunded(db, buyer)
    assert _verify(db, first) == "already-final"
    order, payments = _state(db, order.id)
    assert order.status == "refunded" and payments == {first: "refunded"}
    assert order.needs_refund is False


def test_a_second_capture_of_a_paid_order_is_flagged_for_refund(db, teller, buyer):
    order = _order(buyer)
    first, second = _attempt(order), _attempt(order)
    assert _verify(db, first) == "paid"
    assert _verify(db, second) == "duplicate-capture"
    order, payments = _state(db, order.id)
    assert order.status == "paid"
    assert payments == {first: "captured", second: "captured"}
    assert order.needs_refund is True
    assert _mail(db) == [f"receipt-order-{order.id}"]  # one receipt only


@pytest.mark.parametrize("answer", [gw.FAILED, gw.NOT_FOUND])
def test_a_capture_after_a_failure_is_a_late_capture_that_pays(
    db, teller, buyer, answer
):
    order = _order(buyer)
    payment_id = _attempt(order)
    teller.answer = {"status": answer}
    if answer == gw.NOT_FOUND:
        # The gateway forgetting a young attempt ends nothing (issue #13,
        # finding 8); once the attempt is past its method's deadline it fails.
        assert _verify(db, payment_id) == "not-started"
        assert _state(db, order.id)[0].status == "payment_pending"
        attempt = db.session.get(Payment, payment_id)
        attempt.created_at -= dt.timedelta(days=30)
        db.session.commit()
    assert _verify(db, payment_id) == "order-failed"
    order, payments = _state(db, order.id)
    assert order.status == "failed" and payments == {payment_id: "failed"}
    assert f"payment-failed-{payment_id}" in _mail(db)

    teller.answer = {}
    assert _verify(db, payment_id) == "paid"
    order, payments = _state(db, order.id)
    assert order.status == "paid" and payments == {payment_id: "captured"}
    assert ("order_paid", "late capture reconciled") in _outcomes(db, order.id)
    assert _access(db, order.id) == 1


def test_a_failure_after_the_capture_changes_nothing(db, teller, buyer):
    order = _order(buyer)
    payment_id = _attempt(order)
    assert _verify(db, payment_id) == "paid"
    teller.answer = {"status": gw.FAILED}
    assert _verify(db, payment_id) == "already-final"
    order, payments = _state(db, order.id)
    assert order.status == "paid" and payments == {payment_id: "captured"}


def test_an_older_attempt_failing_does_not_fail_the_order(db, teller, buyer):
    order = _order(buyer)
    older, newer = _attempt(order), _attempt(order)
    teller.answer = {"status": gw.FAILED}
    assert _verify(db, older) == "payment-failed"
    order, payments = _state(db, order.id)
    assert order.status == "payment_pending"
    assert payments == {older: "failed", newer: "pending"}
    assert _mail(db) == []


@pytest.mark.parametrize(
    ("answer", "payment_status"),
    [(gw.CANCELLED, "cancelled"), (gw.EXPIRED, "expired"), (gw.FAILED, "failed")],
)
def test_an_unsuccessful_answer_fails_the_pending_order(
    db, teller, buyer, answer, payment_status
):
    order = _order(buyer)
    payment_id = _attempt(order)
    teller.answer = {"status": answer, "message": ""}
    assert _verify(db, payment_id) == "order-failed"
    order, payments = _state(db, order.id)
    assert order.status == "failed"
    assert payments == {payment_id: payment_status}
    payment = db.session.get(Payment, payment_id)
    assert payment.message == answer
    assert payment.error_details == {"status": answer, "source": "test"}


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [(gw.PENDING, "pending"), (gw.REFUNDED, "refunded-at-gateway")],
)
def test_an_answer_without_money_news_leaves_the_order_waiting(
    db, teller, buyer, answer, outcome
):
    order = _order(buyer)
    payment_id = _attempt(order)
    teller.answer = {"status": answer}
    assert _verify(db, payment_id) == outcome
    order, payments = _state(db, order.id)
    assert order.status == "payment_pending" and payments == {payment_id: "pending"}
    assert db.session.get(Payment, payment_id).verify_attempts == 1


def test_staff_check_now_with_the_gateway_down_is_a_503(db, teller, buyer):
    order = _order(buyer)
    payment_id = _attempt(order)
    teller.down = True
    with pytest.raises(ServiceError) as info:
        check_now(payment_id)
    assert info.value.status == 503 and info.value.code == "GATEWAY_UNAVAILABLE"
    db.session.commit()
    outcomes = db.session.scalars(
        select(PaymentEvent.outcome).where(PaymentEvent.payment_id == payment_id)
    ).all()
    assert outcomes == ["gateway_error"]
    teller.down = False
    assert check_now(payment_id) == "paid"


def test_an_unknown_payment_is_reported_not_raised(db, teller):
    assert verify_payment(987654, "test") == "unknown-payment"


def _booked(db, topic: str) -> list[dict]:
    return [
        e.payload
        for e in db.session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.topic == topic)
            .order_by(OutboxEvent.id)
        )
    ]


def test_a_failure_books_one_email_to_the_customer_about_that_attempt(
    db, teller, buyer
):
    order = _order(buyer)
    payment_id = _attempt(order)
    teller.answer = {"status": gw.FAILED}
    assert _verify(db, payment_id) == "order-failed"
    # The same answer again: the order has failed already, nothing more is sent.
    assert _verify(db, payment_id) == "payment-failed"
    assert _booked(db, "email.send") == [
        {
            "dedupe_key": f"payment-failed-{payment_id}",
            "to": "sita@example.com",
            "template": "payment_failed",
            "context": {"order_id": order.id, "payment_id": payment_id},
        }
    ]


def test_a_paid_order_books_its_receipt_to_the_customer(db, teller, buyer):
    order = _order(buyer)
    assert _verify(db, _attempt(order)) == "paid"
    assert _booked(db, "email.send") == [
        {
            "dedupe_key": f"receipt-order-{order.id}",
            "to": "sita@example.com",
            "template": "order_paid",
            "context": {"order_id": order.id},
        }
    ]


def test_a_double_payment_must_be_refunded_within_the_window(db, teller, buyer):
    from app.db import utcnow
    from app.payments.finalise import REFUND_WINDOW_DAYS

    order = _order(buyer)
    first, second = _attempt(order), _attempt(order)
    before = utcnow()
    _verify(db, first)
    _verify(db, second)
    order = _state(db, order.id)[0]
    window = order.refund_by - before
    assert window.total_seconds() > REFUND_WINDOW_DAYS * 86400 - 60
    assert window.total_seconds() < REFUND_WINDOW_DAYS * 86400 + 60
    note = db.session.scalar(
        select(PaymentEvent).where(PaymentEvent.outcome == "needs_refund")
    )
    assert note.gateway == "storefront" and note.order_id == order.id


def test_a_slip_issued_puts_the_order_on_hold_until_its_deadline(db, teller, buyer):
    import datetime as dt

    from app.db import utcnow

    order = _order(buyer)
    payment_id = _attempt(order)
    deadline = (utcnow() + dt.timedelta(days=3)).replace(microsecond=0)
    teller.answer = {
        "status": gw.AUTHORIZED,
        "approve_by": deadline,
        "instructions": {"slip": "1234-5678"},
    }
    assert _verify(db, payment_id) == "on-hold"

    order, payments = _state(db, order.id)
    assert order.status == "on_hold" and payments == {payment_id: "authorized"}
    assert order.expires_at == deadline
    payment = db.session.get(Payment, payment_id)
    assert payment.approve_by == deadline
    assert payment.gateway_reference == f"tx-{payment_id}"
    assert payment.payload["instructions"] == {"slip": "1234-5678"}
    # Auto-cancel is booked again for the slip's deadline.
    auto_cancel = db.session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.topic == "order.auto_cancel")
        .order_by(OutboxEvent.id)
    ).all()[-1]
    assert auto_cancel.payload == {"order_id": order.id}
    assert auto_cancel.available_at == deadline
    assert _booked(db, "email.send") == [
        {
            "dedupe_key": f"on-hold-order-{order.id}-payment-{payment_id}",
            "to": "sita@example.com",
            "template": "order_on_hold",
            "context": {"order_id": order.id, "payment_id": payment_id},
        }
    ]
    # The same slip reported again changes nothing and sends nothing more.
    assert _verify(db, payment_id) == "not-held"
    assert len(_booked(db, "email.send")) == 1

    # The customer pays at the shop: the held order is paid.
    teller.answer = {}
    assert _verify(db, payment_id) == "paid"
    assert _state(db, order.id)[0].status == "paid"


@pytest.mark.parametrize(
    ("answer", "reason", "template"),
    [
        (gw.EXPIRED, "payment expired at the gateway", "order_expired"),
        (gw.CANCELLED, "payment cancelled at the gateway", "order_cancelled"),
    ],
)
def test_a_slip_closed_at_the_gateway_cancels_the_held_order(
    db, teller, buyer, answer, reason, template
):
    order = _order(buyer)
    payment_id = _attempt(order)
    teller.answer = {"status": gw.AUTHORIZED}
    assert _verify(db, payment_id) == "on-hold"
    teller.answer = {"status": answer}
    assert _verify(db, payment_id) == "cancelled"
    order, payments = _state(db, order.id)
    assert order.status == "cancelled" and order.cancel_reason == reason
    assert payments == {payment_id: answer}
    mail = _booked(db, "email.send")[-1]
    assert mail["template"] == template


def test_a_plain_failure_of_a_held_slip_fails_the_order(db, teller, buyer):
    """Only a closed slip (expired, cancelled) cancels a held order; a failure
    report leaves it to the retry and auto-cancel machinery."""
    order = _order(buyer)
    payment_id = _attempt(order)
    teller.answer = {"status": gw.AUTHORIZED}
    _verify(db, payment_id)
    teller.answer = {"status": gw.NOT_FOUND}
    assert _verify(db, payment_id) == "order-failed"
    assert _state(db, order.id)[0].status == "failed"


def test_staff_check_now_is_recorded_as_asked_by_staff(db, teller, buyer):
    order = _order(buyer)
    payment_id = _attempt(order)
    teller.answer = {"message": "settled"}
    assert check_now(payment_id) == "paid"
    db.session.commit()
    check = db.session.scalar(
        select(PaymentEvent).where(PaymentEvent.kind == "status_check")
    )
    assert check.detail == "asked by staff: settled"
    assert check.outcome == "captured" and check.gateway == "teller"


def test_the_outage_message_names_the_gateways_error(db, teller, buyer):
    order = _order(buyer)
    payment_id = _attempt(order)
    teller.down = True
    with pytest.raises(ServiceError) as info:
        check_now(payment_id)
    assert str(info.value.message) == "Gateway unavailable: connection refused"
    db.session.commit()
    event = db.session.scalar(select(PaymentEvent))
    assert event.detail == "staff: connection refused"


def test_a_promotion_is_counted_once_when_its_order_is_paid(db, teller, buyer, factory):
    from app.promotions.models import Promotion, PromotionUsage

    promo = factory.promotion(code="SAVE10", kind="percent", value=10)
    order = _order(buyer, discount=5000, promotion_id=promo.id)
    first, second = _attempt(order), _attempt(order)
    assert _verify(db, first) == "paid"
    assert _verify(db, second) == "duplicate-capture"
    usages = db.session.scalars(select(PromotionUsage)).all()
    assert [(u.promotion_id, u.order_id, u.discount) for u in usages] == [
        (promo.id, order.id, 5000)
    ]
    assert db.session.get(Promotion, promo.id).uses_count == 1


def test_a_code_that_took_nothing_off_is_not_counted(db, teller, buyer, factory):
    from app.promotions.models import PromotionUsage

    promo = factory.promotion(code="ZERO", kind="percent", value=10)
    order = _order(buyer, discount=0, promotion_id=promo.id)
    assert _verify(db, _attempt(order)) == "paid"
    assert db.session.scalars(select(PromotionUsage)).all() == []


def test_an_auto_approved_method_is_captured_without_asking_the_gateway(
    db, teller, buyer
):
    method = db.session.scalar(
        select(PaymentMethod).where(PaymentMethod.code == "teller")
    )
    method.auto_approve = True
    db.session.add(PaymentMethod(code="other", name="Other", backend="teller"))
    db.session.commit()
    teller.down = True  # would fail the check if the gateway were asked
    order = _order(buyer)
    payment_id = _attempt(order)
    assert _verify(db, payment_id) == "paid"
    events = db.session.scalars(
        select(PaymentEvent).where(PaymentEvent.payment_id == payment_id)
    ).all()
    assert [(e.kind, e.outcome, e.gateway) for e in events][0] == (
        "note",
        "auto_approved",
        "teller",
    )
    assert db.session.get(Payment, payment_id).captured_amount == order.total


def test_the_status_answer_is_kept_as_the_attempts_audit_record(db, teller, buyer):
    order = _order(buyer)
    payment_id = _attempt(order)
    teller.answer = {"raw": {"id": "tx", "status": "COMPLETE"}, "message": "done"}
    assert _verify(db, payment_id) == "paid"
    check = db.session.scalar(
        select(PaymentEvent).where(PaymentEvent.kind == "status_check")
    )
    assert (check.payment_id, check.order_id) == (payment_id, order.id)
    assert check.outcome == "captured" and check.detail == "asked by test: done"
    assert check.body == '{"id": "tx", "status": "COMPLETE"}'
    payment = db.session.get(Payment, payment_id)
    assert payment.message == "done"
    assert (payment.auth_action, payment.auth_status) == ("capture", "success")
    assert payment.completed_at is not None


def test_long_gateway_messages_are_cut_to_the_column(db, teller, buyer):
    order = _order(buyer)
    captured, failed = _attempt(order), _attempt(order)
    teller.answer = {"status": gw.FAILED, "message": "x" * 400}
    _verify(db, failed)
    teller.answer = {"message": "y" * 400}
    _verify(db, captured)
    assert db.session.get(Payment, failed).message == "x" * 300
    assert db.session.get(Payment, captured).message == "y" * 300


def test_a_capture_without_a_message_says_captured(db, teller, buyer):
    order = _order(buyer)
    payment_id = _attempt(order)
    teller.answer = {"message": "", "reference": None}
    assert _verify(db, payment_id) == "paid"
    payment = db.session.get(Payment, payment_id)
    assert payment.message == "captured"


def test_a_slip_without_a_deadline_keeps_the_orders_expiry(db, teller, buyer):
    order = _order(buyer)
    expires = order.expires_at
    payment_id = _attempt(order)
    teller.answer = {"status": gw.AUTHORIZED}
    assert _verify(db, payment_id) == "on-hold"
    order = _state(db, order.id)[0]
    assert order.expires_at == expires
    payment = db.session.get(Payment, payment_id)
    assert (payment.auth_action, payment.auth_status) == ("capture", "pending")


def test_a_slip_keeps_what_the_hand_off_stored_on_the_attempt(db, teller, buyer):
    order = _order(buyer)
    payment_id = _attempt(order)
    payment = db.session.get(Payment, payment_id)
    payment.payload = {"session": "ps_1"}
    db.session.commit()
    teller.answer = {"status": gw.AUTHORIZED, "instructions": {"slip": "9"}}
    assert _verify(db, payment_id) == "on-hold"
    payment = db.session.get(Payment, payment_id)
    assert payment.payload == {"session": "ps_1", "instructions": {"slip": "9"}}

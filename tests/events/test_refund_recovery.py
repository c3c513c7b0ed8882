"""Issue #14: a refund is made once at the gateway even when the process that
asked died halfway, because every call carries the refund's own idempotency
key and the outbox job resumes what was left in progress.

Also the adapters' side of it against the sandboxes: KOMOJU replays a refund
with the same `X-KOMOJU-IDEMPOTENCY` key, and the payment-session gateway's
refund id is the key (two equal partial refunds no longer collide).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from app.db import utcnow
from app.orders.models import Order
from app.payments.attempts import payment_ref
from app.payments.gateways import base as gw
from app.payments.gateways.registry import get_gateway
from app.payments.models import Payment, Refund
from app.payments.refund_execution import STALE_CLAIM
from app.payments.refunds import request_refund
from tests.events.conftest import deliver_webhooks, follow_return, init, run_ours
from tests.support.komoju import complete, sandbox_payment


def _paid(shop, live_url, jobs, db) -> Order:
    data = init(shop, [(shop.general, 2)], "credit_card")
    follow_return(complete(live_url, data["gatewayTransactionId"], "credit_card"))
    deliver_webhooks(jobs)
    run_ours(jobs)
    db.session.rollback()
    order = db.session.get(Order, data["orderId"])
    assert order.status == "paid"
    return order


def test_the_job_finishes_a_refund_whose_caller_died(shop, live_url, db, jobs):
    order = _paid(shop, live_url, jobs, db)
    item = order.items[0]
    refund = request_refund(
        order.id, lines={item.id: 1}, reason="guest cannot come", key="press-7"
    )
    db.session.commit()
    payment = db.session.get(Payment, refund.payment_id)
    # The web process claimed it, asked KOMOJU, and died before writing down
    # the answer: the refund is "processing" and KOMOJU has refunded.
    first = get_gateway("komoju").refund(
        payment_ref(payment), refund.amount, idempotency_key=refund.gateway_key
    )
    assert first.status == gw.CAPTURED and first.refund_reference
    db.session.execute(
        update(Refund)
        .where(Refund.id == refund.id)
        .values(
            status="processing", claimed_at=utcnow() - STALE_CLAIM - dt.timedelta(1)
        )
    )
    db.session.commit()
    # The outbox job (booked with the request) picks it up and asks again with
    # the same key: KOMOJU answers the refund it already made.
    jobs.run_scheduled()
    refund = db.session.get(Refund, refund.id)
    assert refund.status == "succeeded"
    assert refund.reference == first.refund_reference
    at_komoju = sandbox_payment(live_url, payment.gateway_reference)
    assert len(at_komoju["refunds"]) == 1 and at_komoju["amount_refunded"] == 3000
    order = db.session.get(Order, order.id)
    assert order.status == "paid" and order.items[0].refunded_quantity == 1
    # KOMOJU's webhook for that refund reconciles to nothing new.
    deliver_webhooks(jobs)
    run_ours(jobs)
    assert len(db.session.scalars(select(Refund)).all()) == 1


def test_a_requested_refund_is_carried_out_by_the_job(shop, live_url, db, jobs):
    """What an event's cancellation will do for each of its orders: book the
    refunds in one transaction, let the jobs call the gateway."""
    order = _paid(shop, live_url, jobs, db)
    refund = request_refund(order.id, reason="event cancelled", key="event-1-order")
    db.session.commit()
    assert refund.status == "requested"
    jobs.run()
    db.session.rollback()
    assert db.session.get(Refund, refund.id).status == "succeeded"
    assert db.session.get(Order, order.id).status == "refunded"
    # The same key again (the cancellation retried) is the same refund.
    again = request_refund(order.id, reason="event cancelled", key="event-1-order")
    assert again.id == refund.id


def test_komoju_replays_a_refund_with_the_same_key(shop, live_url, db, jobs):
    order = _paid(shop, live_url, jobs, db)
    payment = order.payments[0]
    adapter = get_gateway("komoju")
    ref = payment_ref(payment)
    one = adapter.refund(ref, 1000, idempotency_key="rf_same")
    two = adapter.refund(ref, 1000, idempotency_key="rf_same")
    assert one.refund_reference == two.refund_reference
    assert sandbox_payment(live_url, payment.gateway_reference)["amount_refunded"] == (
        1000
    )
    other = adapter.refund(ref, 1000, idempotency_key="rf_other")
    assert other.refund_reference != one.refund_reference
    assert len(sandbox_payment(live_url, payment.gateway_reference)["refunds"]) == 2


def test_paysession_refund_id_is_the_key(app, live_url, factory):
    from app.payments.gateways.paysession import PaysessionGateway
    from tests.rpc.conftest import checkout

    adapter = get_gateway("paysession")
    assert isinstance(adapter, PaysessionGateway)
    handoff = adapter.create_handoff(
        gw.PaymentRequest(
            payment_id=91,
            amount=40000,
            currency="INR",
            description="Two equal refunds",
            method="paysession",
            success_url=f"{live_url}/api/payments/redirect/91/success",
            failure_url=f"{live_url}/api/payments/redirect/91/failure",
            external_order_num="ord_equal-91",
            customer_phone="9999999999",
        )
    )
    checkout(live_url, handoff.gateway_reference, "success")
    ref = gw.PaymentRef(91, 40000, "INR", handoff.gateway_txn_id, None)
    first = adapter.refund(ref, 10000, idempotency_key="rf_a")
    again = adapter.refund(ref, 10000, idempotency_key="rf_a")  # replayed
    second = adapter.refund(ref, 10000, idempotency_key="rf_b")  # equal, distinct
    assert first.refund_reference == again.refund_reference
    assert second.refund_reference != first.refund_reference
    listed = adapter._call("GET", f"/orders/{handoff.gateway_txn_id}/refunds")
    assert sorted(r["refund_id"] for r in listed) == ["rf_a", "rf_b"]

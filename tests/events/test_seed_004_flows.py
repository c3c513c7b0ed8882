"""Seed 004 (Attendize x KOMOJU): each status — captured, authorized, cancelled —
through the browser return and through the webhook, in both orders of arrival,
plus expiry, the konbini deadline, late captures and refused webhooks.

Everything runs over real HTTP against the KOMOJU sandbox on the live server. The
sandbox's own webhook deliveries are RQ jobs on the "sandbox" queue, so a test
chooses when they arrive (`deliver_webhooks`) relative to the browser return.
"""

from __future__ import annotations

import datetime as dt

import requests
from sqlalchemy import select, update

from app.catalog.models import TicketType
from app.db import utcnow
from app.events.models import Ticket
from app.mail.models import EmailLog
from app.orders.models import Order
from app.outbox.models import OutboxEvent
from app.payments.models import Payment, PaymentEvent
from tests.events.conftest import (
    absolute,
    cancel_at_store,
    count,
    deliver_webhooks,
    drop_webhooks,
    event_body,
    follow_return,
    init,
    post_webhook,
    run_ours,
    sign,
    web_checkout,
)
from tests.support.komoju import complete, expire_slip, pay_at_store, sandbox_session


def status(db, order_id) -> tuple[str, str]:
    db.session.rollback()
    order = db.session.get(Order, order_id)
    payment = max(order.payments, key=lambda p: p.id)
    return order.status, payment.status


def counts(db, ticket_type) -> tuple[int, int]:
    db.session.rollback()
    row = db.session.get(TicketType, ticket_type.id)
    return row.quantity_sold, row.reserved


def tickets_of(db, order_id) -> list[Ticket]:
    db.session.rollback()
    return list(db.session.scalars(select(Ticket).where(Ticket.order_id == order_id)))


def ticket_mails(smtp_sink, to="buyer@example.com"):
    return [m for m in smtp_sink.to(to) if str(m["Subject"]).startswith("Your tickets")]


def hold_mails(smtp_sink, to="buyer@example.com"):
    return [m for m in smtp_sink.to(to) if str(m["Subject"]).startswith("How to pay")]


def order_id_of(db, public_id) -> int:
    db.session.rollback()
    return db.session.scalar(select(Order.id).where(Order.public_id == public_id))


def webhook_outcomes(db, order_id) -> list[str]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(PaymentEvent.outcome)
            .where(PaymentEvent.order_id == order_id, PaymentEvent.kind == "webhook")
            .order_by(PaymentEvent.id)
        )
    )


def assert_paid_with_tickets(db, smtp_sink, order_id, ticket_type, n, sold, to):
    assert status(db, order_id) == ("paid", "captured")
    issued = tickets_of(db, order_id)
    assert len(issued) == n
    assert len({t.code for t in issued}) == n
    assert counts(db, ticket_type) == sold
    mails = ticket_mails(smtp_sink, to)
    assert len(mails) == 1
    pngs = [
        p for p in mails[0].iter_attachments() if p.get_content_type() == "image/png"
    ]
    assert len(pngs) == n
    assert all(p.get_content().startswith(b"\x89PNG") for p in pngs)
    text = mails[0].get_body(("plain",)).get_content()
    assert all(t.code in text for t in issued)
    assert db.session.scalar(
        select(EmailLog.id).where(EmailLog.dedupe_key == f"tickets-order-{order_id}")
    )


# --- captured -------------------------------------------------------------------


def test_captured_return_first_then_webhook(shop, live_url, db, jobs, smtp_sink):
    data = init(shop, [(shop.general, 2)], "credit_card")
    oid = data["orderId"]
    location = complete(live_url, data["gatewayTransactionId"], "credit_card")
    assert location.endswith(f"session_id={data['gatewayTransactionId']}")
    resp = follow_return(location)
    assert resp.status_code == 302
    assert "/payments/result/" in resp.headers["Location"]
    assert status(db, oid) == ("payment_pending", "pending")  # the job finalises
    run_ours(jobs)
    assert_paid_with_tickets(
        db, smtp_sink, oid, shop.general, 2, (2, 0), "buyer@example.com"
    )
    deliver_webhooks(jobs)  # payment.captured arrives after the return
    run_ours(jobs)
    assert webhook_outcomes(db, oid) == ["payment.captured"]
    assert_paid_with_tickets(
        db, smtp_sink, oid, shop.general, 2, (2, 0), "buyer@example.com"
    )
    payment = db.session.get(Payment, data["paymentId"])
    assert payment.verified and payment.gateway_reference  # KOMOJU's payment id


def test_captured_webhook_first_then_return(shop, live_url, db, jobs, smtp_sink):
    web = web_checkout(
        live_url,
        shop.event.id,
        [(shop.vip, 2)],
        "komoju_card",
        name="Card Guest",
        email="card@example.com",
    )
    oid = order_id_of(db, web.public_id)
    location = complete(live_url, web.session_id, "credit_card")
    deliver_webhooks(jobs)
    run_ours(jobs)
    assert_paid_with_tickets(
        db, smtp_sink, oid, shop.vip, 2, (2, 0), "card@example.com"
    )
    resp = follow_return(location)  # the browser comes back after the webhook
    assert resp.status_code == 302
    landing = absolute(live_url, resp.headers["Location"])
    assert landing.endswith(
        f"/events/orders/{web.public_id}/return?orderId={oid}"
        f"&paymentId={web.payment_id}&status=paid&result=success"
    )
    page = web.browser.get(landing, timeout=10)  # follows to the order's page
    assert page.status_code == 200
    assert page.url.startswith(f"{live_url}/events/orders/{web.public_id}?key=")
    for ticket in tickets_of(db, oid):
        assert ticket.code in page.text
    assert page.text.count("<svg") >= 2  # a QR code per ticket, inline
    run_ours(jobs)
    assert_paid_with_tickets(
        db, smtp_sink, oid, shop.vip, 2, (2, 0), "card@example.com"
    )


# --- authorized (konbini) ---------------------------------------------------------


def test_authorized_return_first_then_webhook(shop, live_url, db, jobs, smtp_sink):
    data = init(shop, [(shop.general, 2)], "konbini")
    oid, sid = data["orderId"], data["gatewayTransactionId"]
    follow_return(complete(live_url, sid, "konbini"))
    run_ours(jobs)
    assert status(db, oid) == ("on_hold", "authorized")
    payment = db.session.get(Payment, data["paymentId"])
    slip = sandbox_session(live_url, sid)["payment"]
    deadline = dt.datetime.strptime(slip["payment_deadline"], "%Y-%m-%dT%H:%M:%SZ")
    assert payment.approve_by == deadline
    assert db.session.get(Order, oid).expires_at == deadline
    details = slip["payment_details"]
    assert payment.payload["instructions"] == {
        "store": details["store"],
        "confirmation_code": details["confirmation_code"],
        "receipt": details["receipt"],
        "instructions_url": details["instructions_url"],
    }
    assert counts(db, shop.general) == (0, 2)  # still reserved, not sold
    assert tickets_of(db, oid) == []
    mails = hold_mails(smtp_sink)
    assert len(mails) == 1
    assert details["receipt"] in mails[0].get_body(("plain",)).get_content()
    deliver_webhooks(jobs)  # payment.authorized after the return
    run_ours(jobs)
    assert status(db, oid) == ("on_hold", "authorized")
    assert len(hold_mails(smtp_sink)) == 1
    # The customer pays at the store: KOMOJU captures and tells us.
    pay_at_store(live_url, sid)
    deliver_webhooks(jobs)
    run_ours(jobs)
    assert_paid_with_tickets(
        db, smtp_sink, oid, shop.general, 2, (2, 0), "buyer@example.com"
    )


def test_authorized_webhook_first_then_return(shop, live_url, db, jobs, smtp_sink):
    web = web_checkout(live_url, shop.event.id, [(shop.general, 2)])
    oid = order_id_of(db, web.public_id)
    location = complete(live_url, web.session_id, "konbini")
    deliver_webhooks(jobs)
    run_ours(jobs)
    assert status(db, oid) == ("on_hold", "authorized")
    resp = follow_return(location)
    page = web.browser.get(absolute(live_url, resp.headers["Location"]), timeout=10)
    assert page.status_code == 200 and 'id="on-hold"' in page.text
    slip = sandbox_session(live_url, web.session_id)["payment"]["payment_details"]
    assert slip["receipt"] in page.text and slip["confirmation_code"] in page.text
    assert web.key in page.text  # the order-key link is shown
    run_ours(jobs)
    assert status(db, oid) == ("on_hold", "authorized")
    assert len(hold_mails(smtp_sink, "guest@example.com")) == 1
    assert counts(db, shop.general) == (0, 2)


# --- cancelled ----------------------------------------------------------------------


def test_cancelled_on_the_hosted_page_goes_back_to_the_event(shop, live_url, db, jobs):
    browser = requests.Session()
    web = web_checkout(live_url, shop.event.id, [(shop.vip, 3)], browser=browser)
    oid = order_id_of(db, web.public_id)
    assert counts(db, shop.vip) == (0, 3)
    location = complete(live_url, web.session_id, outcome="cancel")
    resp = browser.get(location, allow_redirects=False, timeout=10)
    landing = browser.get(
        absolute(live_url, resp.headers["Location"]), allow_redirects=False, timeout=10
    )
    assert landing.status_code == 302
    assert landing.headers["Location"].endswith(f"/events/{shop.event.id}")
    page = browser.get(absolute(live_url, landing.headers["Location"]), timeout=10)
    assert "Payment cancelled" in page.text
    assert status(db, oid) == ("cancelled", "cancelled")
    assert counts(db, shop.vip) == (0, 0)  # released at once
    # KOMOJU's session was closed: the abandoned page can no longer charge.
    assert sandbox_session(live_url, web.session_id)["status"] == "cancelled"
    late = requests.post(
        f"{live_url}/_sandbox/komoju/sessions/{web.session_id}/complete",
        data={"payment_type": "konbini", "outcome": "capture"},
        allow_redirects=False,
        timeout=10,
    )
    assert late.status_code == 409
    # A (hypothetical) cancelled webhook afterwards changes nothing.
    payment = {
        "id": "pay_x",
        "resource": "payment",
        "status": "cancelled",
        "total": 24000,
        "amount": 24000,
        "currency": "JPY",
        "session": web.session_id,
    }
    assert post_webhook(live_url, event_body("payment.cancelled", payment)).ok
    run_ours(jobs)
    assert status(db, oid) == ("cancelled", "cancelled")
    assert counts(db, shop.vip) == (0, 0)


def test_declined_card_goes_back_to_the_event(shop, live_url, db, jobs):
    browser = requests.Session()
    web = web_checkout(
        live_url, shop.event.id, [(shop.vip, 1)], "komoju_card", browser=browser
    )
    location = complete(live_url, web.session_id, "credit_card", "decline")
    resp = browser.get(location, allow_redirects=False, timeout=10)
    landing = browser.get(
        absolute(live_url, resp.headers["Location"]), allow_redirects=False, timeout=10
    )
    assert landing.headers["Location"].endswith(f"/events/{shop.event.id}")
    assert status(db, order_id_of(db, web.public_id))[0] == "cancelled"
    assert counts(db, shop.vip) == (0, 0)


def test_cancelled_slip_return_first_then_webhook(
    shop, live_url, db, jobs, smtp_sink, redis_client
):
    data = init(shop, [(shop.general, 2)], "konbini")
    oid, sid = data["orderId"], data["gatewayTransactionId"]
    follow_return(complete(live_url, sid, "konbini"))
    run_ours(jobs)
    assert status(db, oid) == ("on_hold", "authorized")
    cancelled = cancel_at_store(redis_client, live_url, sid)
    resp = post_webhook(live_url, event_body("payment.cancelled", cancelled))
    assert resp.status_code == 200
    assert resp.json()["data"]["outcome"] == "accepted"
    run_ours(jobs)
    assert status(db, oid) == ("cancelled", "cancelled")
    assert counts(db, shop.general) == (0, 0)
    deliver_webhooks(jobs)  # the old payment.authorized arrives last
    run_ours(jobs)
    assert status(db, oid) == ("cancelled", "cancelled")
    assert counts(db, shop.general) == (0, 0)
    assert tickets_of(db, oid) == [] and ticket_mails(smtp_sink) == []


def test_cancelled_slip_webhook_first_then_return(
    shop, live_url, db, jobs, redis_client
):
    browser = requests.Session()
    web = web_checkout(live_url, shop.event.id, [(shop.vip, 2)], browser=browser)
    oid = order_id_of(db, web.public_id)
    location = complete(live_url, web.session_id, "konbini")
    deliver_webhooks(jobs)
    run_ours(jobs)
    assert status(db, oid) == ("on_hold", "authorized")
    cancelled = cancel_at_store(redis_client, live_url, web.session_id)
    assert post_webhook(live_url, event_body("payment.cancelled", cancelled)).ok
    run_ours(jobs)
    assert status(db, oid) == ("cancelled", "cancelled")
    assert counts(db, shop.vip) == (0, 0)
    resp = browser.get(location, allow_redirects=False, timeout=10)  # late return
    landing = browser.get(
        absolute(live_url, resp.headers["Location"]), allow_redirects=False, timeout=10
    )
    assert landing.headers["Location"].endswith(f"/events/{shop.event.id}")
    run_ours(jobs)
    assert status(db, oid) == ("cancelled", "cancelled")


# --- expiry, deadline, late captures -----------------------------------------------


def test_expired_slip_cancels_and_releases(shop, live_url, db, jobs, smtp_sink):
    data = init(shop, [(shop.vip, 4)], "konbini")
    oid, sid = data["orderId"], data["gatewayTransactionId"]
    complete(live_url, sid, "konbini")
    deliver_webhooks(jobs)
    run_ours(jobs)
    assert counts(db, shop.vip) == (0, 4)
    expire_slip(live_url, sid)
    deliver_webhooks(jobs)
    run_ours(jobs)
    assert status(db, oid) == ("cancelled", "expired")
    assert counts(db, shop.vip) == (0, 0)
    assert ticket_mails(smtp_sink) == []


def test_out_of_order_events_do_no_harm(shop, live_url, db, jobs, smtp_sink):
    data = init(shop, [(shop.general, 1)], "konbini")
    oid, sid = data["orderId"], data["gatewayTransactionId"]
    complete(live_url, sid, "konbini")
    captured = pay_at_store(live_url, sid)
    drop_webhooks(jobs)  # deliver them ourselves, newest first
    assert post_webhook(live_url, event_body("payment.captured", captured)).ok
    run_ours(jobs)
    assert_paid_with_tickets(
        db, smtp_sink, oid, shop.general, 1, (1, 0), "buyer@example.com"
    )
    for kind, state in (
        ("payment.authorized", "authorized"),
        ("payment.expired", "expired"),
        ("payment.cancelled", "cancelled"),
    ):
        stale = {**captured, "status": state}
        resp = post_webhook(live_url, event_body(kind, stale))
        assert resp.status_code == 200
    run_ours(jobs)
    assert webhook_outcomes(db, oid) == [
        "payment.captured",
        "payment.authorized",
        "payment.expired",
        "payment.cancelled",
    ]
    assert_paid_with_tickets(
        db, smtp_sink, oid, shop.general, 1, (1, 0), "buyer@example.com"
    )
    assert hold_mails(smtp_sink) == []


def _pass_deadline(db, order_id) -> None:
    db.session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(expires_at=utcnow() - dt.timedelta(minutes=1))
    )
    db.session.commit()


def test_unpaid_slip_is_cancelled_at_its_deadline_then_late_capture(
    shop, live_url, db, jobs, smtp_sink
):
    data = init(shop, [(shop.general, 2)], "konbini")
    oid, sid = data["orderId"], data["gatewayTransactionId"]
    complete(live_url, sid, "konbini")
    deliver_webhooks(jobs)
    run_ours(jobs)
    order = db.session.get(Order, oid)
    assert order.status == "on_hold"
    booked = db.session.scalars(
        select(OutboxEvent.available_at).where(OutboxEvent.topic == "order.auto_cancel")
    ).all()
    assert order.expires_at in booked  # auto-cancel booked for the slip's deadline
    _pass_deadline(db, oid)  # nobody paid: the deadline passes
    jobs.run_scheduled()
    assert status(db, oid) == ("cancelled", "expired")
    assert counts(db, shop.general) == (0, 0)
    # The customer pays at the store after all: reconciled, tickets still free.
    pay_at_store(live_url, sid)
    deliver_webhooks(jobs)
    run_ours(jobs)
    assert_paid_with_tickets(
        db, smtp_sink, oid, shop.general, 2, (2, 0), "buyer@example.com"
    )
    assert not db.session.get(Order, oid).needs_refund


def test_late_capture_after_sell_out_is_flagged_for_refund(
    shop, live_url, db, jobs, smtp_sink
):
    data = init(shop, [(shop.vip, 2)], "konbini")
    oid, sid = data["orderId"], data["gatewayTransactionId"]
    complete(live_url, sid, "konbini")
    deliver_webhooks(jobs)
    run_ours(jobs)
    _pass_deadline(db, oid)
    jobs.run_scheduled()
    assert status(db, oid)[0] == "cancelled"
    rival = init(shop, [(shop.vip, 10)], "credit_card")  # everything, released or not
    complete(live_url, rival["gatewayTransactionId"], "credit_card")
    deliver_webhooks(jobs)
    run_ours(jobs)
    assert counts(db, shop.vip) == (10, 0)
    pay_at_store(live_url, sid)
    deliver_webhooks(jobs)
    run_ours(jobs)
    order = db.session.get(Order, oid)
    assert order.status == "paid" and order.needs_refund
    assert tickets_of(db, oid) == []
    assert counts(db, shop.vip) == (10, 0)  # never more than the type holds
    assert len(ticket_mails(smtp_sink)) == 1  # the rival's only


# --- refused or repeated webhooks -----------------------------------------------


def test_forged_webhooks_are_401_recorded_and_change_nothing(
    shop, live_url, db, jobs, smtp_sink
):
    data = init(shop, [(shop.general, 1)], "konbini")
    oid, sid = data["orderId"], data["gatewayTransactionId"]
    complete(live_url, sid, "konbini")
    drop_webhooks(jobs)
    payment = sandbox_session(live_url, sid)["payment"]
    body = event_body("payment.captured", {**payment, "status": "captured"})
    tampered = body.replace(b'"status":"captured"', b'"status":"captured" ')
    before = count(db, OutboxEvent)
    for resp in (
        post_webhook(live_url, body, signature=None),
        post_webhook(live_url, body, signature="0" * 64),
        post_webhook(live_url, body, signature=sign(body, "guessed-secret")),
        post_webhook(live_url, tampered, signature=sign(body)),
    ):
        assert resp.status_code == 401
        assert resp.json()["error"]["code"] == "INVALID_SIGNATURE"
    db.session.rollback()
    refused = db.session.scalars(
        select(PaymentEvent).where(PaymentEvent.outcome == "invalid_signature")
    ).all()
    assert len(refused) == 4 and all(e.signature_valid is False for e in refused)
    run_ours(jobs)
    assert status(db, oid) == ("payment_pending", "pending")
    assert count(db, OutboxEvent) == before
    assert tickets_of(db, oid) == [] and counts(db, shop.general) == (0, 1)


def test_amount_or_currency_mismatch_is_recorded_not_booked(shop, live_url, db, jobs):
    data = init(shop, [(shop.general, 1)], "konbini")
    oid, sid = data["orderId"], data["gatewayTransactionId"]
    complete(live_url, sid, "konbini")
    drop_webhooks(jobs)
    payment = sandbox_session(live_url, sid)["payment"]
    before = count(db, OutboxEvent)
    cheap = {**payment, "status": "captured", "total": 1, "amount": 1}
    foreign = {**payment, "status": "captured", "currency": "USD"}
    for forged in (cheap, foreign):
        resp = post_webhook(live_url, event_body("payment.captured", forged))
        assert resp.status_code == 200
        assert resp.json()["data"]["outcome"] == "amount-mismatch"
    db.session.rollback()
    assert count(db, OutboxEvent) == before
    notes = db.session.scalars(
        select(PaymentEvent.outcome).where(PaymentEvent.kind == "note")
    ).all()
    assert notes.count("amount_mismatch") == 2
    run_ours(jobs)
    assert status(db, oid) == ("payment_pending", "pending")


def test_same_event_id_is_processed_once(shop, live_url, db, jobs, smtp_sink):
    data = init(shop, [(shop.general, 1)], "credit_card")
    oid, sid = data["orderId"], data["gatewayTransactionId"]
    complete(live_url, sid, "credit_card")
    drop_webhooks(jobs)
    payment = sandbox_session(live_url, sid)["payment"]
    body = event_body("payment.captured", payment, event_id="evt_once")
    outcomes = [
        post_webhook(live_url, body).json()["data"]["outcome"] for _ in range(3)
    ]
    assert outcomes == ["accepted", "duplicate", "duplicate"]
    ping = event_body("ping", {}, event_id="evt_ping")
    assert post_webhook(live_url, ping).json()["data"]["outcome"] == "unknown-payment"
    run_ours(jobs)
    assert_paid_with_tickets(
        db, smtp_sink, oid, shop.general, 1, (1, 0), "buyer@example.com"
    )

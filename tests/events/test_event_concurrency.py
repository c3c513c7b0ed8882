"""SPEC §6 invariants 1 and 2 for tickets under real concurrency: threads against
the threaded live server (and job handlers racing each other). Runs on SQLite and,
with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import requests
from sqlalchemy import func, select, update

from app.catalog.models import TicketType
from app.events.models import Ticket
from app.mail.models import EmailLog
from app.orders.models import Order
from app.outbox.models import OutboxEvent
from app.payments.models import Payment, PaymentEvent
from tests.events.conftest import (
    attendees,
    count,
    drop_webhooks,
    event_body,
    init,
    post_webhook,
    sign,
)
from tests.support.concurrency import run_threads
from tests.support.factories import PASSWORD
from tests.support.komoju import complete, sandbox_session


def tokens_for(factory, live_url, n: int) -> list[str]:
    tokens = []
    for i in range(n):
        user = factory.user(email=f"racer{i}@example.com", name=f"Racer {i}")
        resp = requests.post(
            f"{live_url}/api/auth/token",
            json={"email": user.email, "password": PASSWORD},
            timeout=30,
        )
        assert resp.status_code == 200, resp.text
        tokens.append(resp.json()["data"]["token"])
    return tokens


def leave_only(db, ticket_type, left: int) -> None:
    db.session.execute(
        update(TicketType)
        .where(TicketType.id == ticket_type.id)
        .values(quantity_sold=TicketType.quantity_total - left)
    )
    db.session.commit()


def counts(db, ticket_type) -> tuple[int, int]:
    db.session.rollback()
    row = db.session.get(TicketType, ticket_type.id)
    return row.quantity_sold, row.reserved


def buy(live_url, token, event_id, ticket_type_id, n, payment_type):
    body = {
        "eventId": event_id,
        "tickets": [
            {"ticketTypeId": ticket_type_id, "quantity": n, "attendees": attendees(n)}
        ],
        "paymentType": payment_type,
    }
    return requests.post(
        f"{live_url}/api/mobile/events/checkout",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )


def test_twenty_buyers_race_for_the_last_five_tickets(
    shop, live_url, db, jobs, factory, report
):
    leave_only(db, shop.vip, 5)  # 10 in total, 5 already sold
    tokens = tokens_for(factory, live_url, 20)
    event_id, vip_id = shop.event.id, shop.vip.id

    def race(i: int):
        payment_type = "credit_card" if i % 2 else "konbini"
        resp = buy(live_url, tokens[i], event_id, vip_id, 1, payment_type)
        return resp.status_code, resp.json()

    results = run_threads(race, 20)
    winners = [body["data"] for code, body in results if code == 200]
    losers = [body["error"] for code, body in results if code != 200]
    assert len(winners) == 5, [code for code, _ in results]
    assert len(losers) == 15
    assert {e["code"] for e in losers} == {"SOLD_OUT"}
    assert {code for code, _ in results} == {200, 409}
    assert counts(db, shop.vip) == (5, 5)
    assert count(db, Order) == 5 and count(db, Payment) == 5
    seats = requests.get(f"{live_url}/api/events/{event_id}", timeout=10).json()
    assert seats["data"]["ticketTypes"][1]["seatsLeft"] == 0

    # The five winners pay at the same time.
    def pay(i: int):
        data = winners[i]
        kind = (
            "credit_card"
            if "credit_card"
            in sandbox_session(live_url, data["gatewayTransactionId"])[
                "payment_methods"
            ][0]["type"]
            else "konbini"
        )
        location = complete(live_url, data["gatewayTransactionId"], kind)
        requests.get(location, allow_redirects=False, timeout=60)
        if kind == "konbini":
            requests.post(
                f"{live_url}/_sandbox/komoju/sessions/"
                f"{data['gatewayTransactionId']}/pay_at_store",
                headers={"Accept": "application/json"},
                timeout=60,
            )
        return kind

    run_threads(pay, 5)
    jobs.run()
    jobs.run()
    db.session.rollback()
    assert counts(db, shop.vip) == (10, 0)
    assert (
        db.session.scalar(select(func.count(Order.id)).where(Order.status == "paid"))
        == 5
    )
    assert count(db, Ticket) == 5
    assert not db.session.scalar(select(func.count(Order.id)).where(Order.needs_refund))
    report(
        "Last tickets of a type",
        "20 buyers at once for the last 5 tickets (card and konbini), winners pay",
        operations=20 + 5,
        orders_won=(5, len(winners)),
        sold_out_refusals=(15, len(losers)),
        sold_reserved=((10, 0), counts(db, shop.vip)),
        tickets_issued=(5, count(db, Ticket)),
    )


def test_mixed_quantities_never_oversell(shop, live_url, db, factory):
    leave_only(db, shop.vip, 5)
    tokens = tokens_for(factory, live_url, 12)
    event_id, vip_id = shop.event.id, shop.vip.id

    def race(i: int):
        n = 1 + i % 3
        resp = buy(live_url, tokens[i], event_id, vip_id, n, "konbini")
        return n, resp.status_code

    results = run_threads(race, 12)
    taken = sum(n for n, code in results if code == 200)
    assert all(code in (200, 409) for _, code in results)
    assert taken <= 5
    assert counts(db, shop.vip) == (5, taken)
    db.session.rollback()
    assert (
        db.session.scalar(select(func.coalesce(func.sum(Ticket.id), 0))) == 0
    )  # nothing issued before payment


def test_same_webhook_ten_times_at_once_one_capture_one_email(
    shop, live_url, db, jobs, smtp_sink, app
):
    data = init(shop, [(shop.general, 2)], "credit_card")
    oid, sid = data["orderId"], data["gatewayTransactionId"]
    complete(live_url, sid, "credit_card")
    drop_webhooks(jobs)
    payment = sandbox_session(live_url, sid)["payment"]
    body = event_body("payment.captured", payment, event_id="evt_ten_times")

    def deliver(_i: int):
        resp = post_webhook(live_url, body)
        return resp.status_code, resp.json()["data"]["outcome"]

    results = run_threads(deliver, 10)
    assert {code for code, _ in results} == {200}
    outcomes = sorted(outcome for _, outcome in results)
    assert outcomes == ["accepted"] + ["duplicate"] * 9
    db.session.rollback()
    assert (
        db.session.scalar(
            select(func.count(PaymentEvent.id)).where(PaymentEvent.kind == "webhook")
        )
        == 1
    )

    # The booked verification races copies of itself (as after a worker restart).
    from app.jobs import in_app_context
    from app.payments.jobs import handle_payment_success

    verify = in_app_context(handle_payment_success)

    def finalise(_i: int):
        with app.app_context():
            try:
                return verify(data["paymentId"], source="webhook")
            finally:
                from app.extensions import db as _db

                _db.session.remove()

    verdicts = run_threads(finalise, 6)
    assert verdicts.count("paid") == 1, verdicts
    jobs.run()
    db.session.rollback()
    assert db.session.get(Order, oid).status == "paid"
    assert (
        db.session.scalar(
            select(func.count(PaymentEvent.id)).where(
                PaymentEvent.outcome == "order_paid"
            )
        )
        == 1
    )
    assert count(db, Ticket) == 2
    assert counts(db, shop.general) == (2, 0)
    assert (
        db.session.scalar(
            select(func.count(EmailLog.id)).where(EmailLog.dedupe_key.like("tickets-%"))
        )
        == 1
    )
    ticket_mails = [
        m for m in smtp_sink.to("buyer@example.com") if "Your tickets" in m["Subject"]
    ]
    assert len(ticket_mails) == 1


def test_forged_webhooks_at_once_change_nothing(shop, live_url, db, jobs):
    data = init(shop, [(shop.general, 1)], "konbini")
    oid, sid = data["orderId"], data["gatewayTransactionId"]
    complete(live_url, sid, "konbini")
    drop_webhooks(jobs)
    payment = {**sandbox_session(live_url, sid)["payment"], "status": "captured"}
    before = count(db, OutboxEvent)

    def forge(i: int):
        body = event_body("payment.captured", payment, event_id=f"evt_forged_{i}")
        signature = sign(body, f"guess-{i}") if i % 2 else None
        return post_webhook(live_url, body, signature=signature).status_code

    assert set(run_threads(forge, 10)) == {401}
    db.session.rollback()
    assert (
        db.session.scalar(
            select(func.count(PaymentEvent.id)).where(
                PaymentEvent.outcome == "invalid_signature",
                PaymentEvent.signature_valid.is_(False),
            )
        )
        == 10
    )
    assert count(db, OutboxEvent) == before
    jobs.run()
    db.session.rollback()
    order = db.session.get(Order, oid)
    assert order.status == "payment_pending"
    assert count(db, Ticket) == 0 and counts(db, shop.general) == (0, 1)

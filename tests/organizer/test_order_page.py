"""The organizer's order page and its actions: resend, cancel, refund, check now."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.catalog.models import TicketType
from app.events.models import Ticket
from app.orders.models import Order
from app.outbox.models import OutboxEvent
from app.payments.gateways import base as gw
from app.payments.gateways import registry
from app.payments.models import PaymentEvent, PaymentMethod
from app.payments.refunds import refund_order
from app.services_errors import ServiceError
from tests.organizer.conftest import login, make_order


class FakeGateway:
    """A gateway with a refund API whose behaviour each test sets."""

    name = "fakegw"
    calls: list = []
    refund_behaviour = "ok"
    status_answer = gw.CAPTURED

    def __init__(self, cfg):
        pass

    def refund(self, ref, amount, idempotency_key=None):
        FakeGateway.calls.append(("refund", ref.payment_id, amount))
        if FakeGateway.refund_behaviour == "down":
            raise gw.GatewayError("connection refused")
        if FakeGateway.refund_behaviour == "pending":
            return gw.GatewayResult(status=gw.PENDING, amount=amount, currency="JPY")
        return gw.GatewayResult(
            status=gw.REFUNDED,
            amount=amount,
            currency=ref.currency,
            reference=f"rf_{ref.payment_id}",
            raw={"id": f"rf_{ref.payment_id}", "status": "refunded"},
        )

    def fetch_status(self, ref):
        FakeGateway.calls.append(("status", ref.payment_id))
        return gw.GatewayResult(
            status=FakeGateway.status_answer, amount=ref.amount, currency=ref.currency
        )


@pytest.fixture
def fakegw(db, monkeypatch):
    FakeGateway.calls = []
    FakeGateway.refund_behaviour = "ok"
    FakeGateway.status_answer = gw.CAPTURED
    monkeypatch.setitem(registry.FACTORIES, "fakegw", FakeGateway)
    db.session.add(PaymentMethod(code="fakegw", name="Fake card", backend="fakegw"))
    db.session.commit()
    return FakeGateway


def _reload(db, order):
    db.session.rollback()
    order = db.session.get(Order, order.id)
    return order, order.payments[0]


def _flashes(client, order) -> str:
    return client.get(f"/organizer/orders/{order.id}").get_data(as_text=True)


def _outcomes(db, order) -> list[str]:
    return list(
        db.session.scalars(
            select(PaymentEvent.outcome)
            .where(PaymentEvent.order_id == order.id)
            .order_by(PaymentEvent.id)
        )
    )


def _sold(db, ticket_type) -> tuple[int, int]:
    db.session.rollback()
    t = db.session.get(TicketType, ticket_type.id)
    return t.quantity_sold, t.reserved


def test_order_page_shows_items_attendees_codes_and_timeline(client, world, db):
    order = make_order(world.types_a, {0: 2, 1: 1}, name="Hanako Sato")
    codes = sorted(db.session.scalars(select(Ticket.code)))
    order.needs_refund = True
    db.session.commit()
    login(client, world.alice)
    body = client.get(f"/organizer/orders/{order.id}").get_data(as_text=True)

    assert order.public_id in body and "Hanako Sato" in body
    assert "Type 0</td><td>2</td>" in body and "¥14,000" in body
    assert sorted(re.findall(r'<code class="ticket-code">(\w+)</code>', body)) == codes
    assert len(codes) == 3
    assert "Hanako Sato 2" in body  # attendee names
    assert 'id="needs-refund"' in body
    payment = order.payments[0]
    attempt = body[body.index(f'data-payment-id="{payment.id}"') :]
    assert payment.gateway_txn_id in attempt
    rows = re.findall(
        r'<tr class="payment-event" data-kind="(\w+)" data-outcome="(\w+)">', attempt
    )
    assert rows == [
        ("outbound", "handoff_created"),
        ("redirect", "captured"),
        ("status_check", "captured"),
    ]
    assert ">valid<" in attempt and "UTC" in attempt
    assert 'id="resend-form"' in body and 'id="refund-form"' in body
    assert 'id="cancel-form"' not in body
    # The event page links the "paid but not delivered" queue.
    event_page = client.get(f"/organizer/events/{world.event_a.id}")
    assert "1 to refund" in event_page.get_data(as_text=True)


def test_unpaid_order_shows_attendees_and_cancel(client, world, db):
    order = make_order(world.types_a, {0: 2}, status="payment_pending", name="Ken")
    login(client, world.alice)
    body = client.get(f"/organizer/orders/{order.id}").get_data(as_text=True)
    assert "Ken 1" in body and "Ken 2" in body and "No tickets issued" in body
    assert 'id="cancel-form"' in body and 'id="refund-form"' not in body


@pytest.mark.parametrize("status", ["payment_pending", "on_hold", "failed"])
def test_cancel_unpaid_order_releases_its_tickets(client, world, db, status):
    order = make_order(world.types_a, {0: 2}, status=status)
    assert _sold(db, world.types_a[0]) == (0, 2)
    login(client, world.alice)
    resp = client.post(f"/organizer/orders/{order.id}/cancel")
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/organizer/orders/{order.id}")
    order, payment = _reload(db, order)
    assert order.status == "cancelled"
    assert order.cancel_reason == "cancelled by organizer"
    assert _sold(db, world.types_a[0]) == (0, 0)
    assert "order_cancelled" in _outcomes(db, order)
    assert "The order was cancelled" in _flashes(client, order)

    # A second submit changes nothing and says so.
    client.post(f"/organizer/orders/{order.id}/cancel")
    assert "cannot be cancelled" in _flashes(client, order)
    assert _sold(db, world.types_a[0]) == (0, 0)


def test_a_paid_order_cannot_be_cancelled(client, world, db):
    order = make_order(world.types_a)
    login(client, world.alice)
    client.post(f"/organizer/orders/{order.id}/cancel")
    assert "refund it instead" in _flashes(client, order)
    order, payment = _reload(db, order)
    assert order.status == "paid" and payment.status == "captured"


def test_refund_paid_order_through_the_gateway(client, world, db, fakegw):
    order = make_order(world.types_a, {0: 2}, gateway="fakegw")
    order.needs_refund = True
    db.session.commit()
    assert _sold(db, world.types_a[0]) == (2, 0)
    login(client, world.alice)
    resp = client.post(
        f"/organizer/orders/{order.id}/refund", data={"reason": "event moved"}
    )
    assert resp.status_code == 303
    order, payment = _reload(db, order)
    assert order.status == "refunded"
    assert payment.status == "refunded"
    assert order.needs_refund is False and order.refund_by is None
    assert fakegw.calls == [("refund", payment.id, 6000)]
    assert _sold(db, world.types_a[0]) == (0, 0)  # tickets back on sale
    refund_event = db.session.scalar(
        select(PaymentEvent).where(PaymentEvent.outcome == "refunded")
    )
    assert refund_event.kind == "outbound" and refund_event.payment_id == payment.id
    assert refund_event.detail == "event moved: 6000 JPY"
    page = _flashes(client, order)
    assert "refunded through the payment gateway" in page
    assert 'data-outcome="refunded"' in page and 'id="refund-form"' not in page

    # Double submit: nothing is refunded twice.
    resp = client.post(f"/organizer/orders/{order.id}/refund")
    assert resp.status_code == 303
    assert len(fakegw.calls) == 1
    assert "cannot be refunded" in _flashes(client, order)


def test_refund_with_the_gateway_down_changes_nothing(client, world, db, fakegw):
    order = make_order(world.types_a, {0: 2}, gateway="fakegw")
    fakegw.refund_behaviour = "down"
    with pytest.raises(ServiceError) as info:
        refund_order(order.id, "try")
    assert info.value.status == 503 and info.value.code == "GATEWAY_UNAVAILABLE"
    order, payment = _reload(db, order)
    assert (order.status, payment.status) == ("paid", "captured")
    assert _sold(db, world.types_a[0]) == (2, 0)

    login(client, world.alice)
    resp = client.post(f"/organizer/orders/{order.id}/refund")
    assert resp.status_code == 303
    assert "did not confirm the refund" in _flashes(client, order)
    order, payment = _reload(db, order)
    assert (order.status, payment.status) == ("paid", "captured")
    assert payment.captured_amount == 6000
    assert _sold(db, world.types_a[0]) == (2, 0)
    assert _outcomes(db, order).count("refund_error") == 2  # the attempts are logged
    assert "refunded" not in _outcomes(db, order)

    # An unconfirmed answer is not a refund either.
    fakegw.refund_behaviour = "pending"
    with pytest.raises(ServiceError) as info:
        refund_order(order.id, "try")
    assert info.value.status == 503
    order, payment = _reload(db, order)
    assert (order.status, payment.status) == ("paid", "captured")

    # And when the gateway is back, the refund goes through.
    fakegw.refund_behaviour = "ok"
    client.post(f"/organizer/orders/{order.id}/refund")
    order, payment = _reload(db, order)
    assert (order.status, payment.status) == ("refunded", "refunded")


def test_esewa_has_no_refund_api(client, world, db):
    order = make_order(world.types_a, gateway="esewa")
    with pytest.raises(ServiceError) as info:
        refund_order(order.id, "try")
    assert info.value.status == 400 and info.value.code == "REFUND_NOT_SUPPORTED"
    assert "eSewa has no refund API" in info.value.message
    login(client, world.alice)
    client.post(f"/organizer/orders/{order.id}/refund")
    assert "eSewa has no refund API" in _flashes(client, order)
    order, payment = _reload(db, order)
    assert (order.status, payment.status) == ("paid", "captured")
    assert "refund_rejected" in _outcomes(db, order)


@pytest.mark.parametrize("status", ["payment_pending", "failed", "cancelled"])
def test_only_paid_orders_are_refunded(world, db, fakegw, status):
    order = make_order(world.types_a, status=status, gateway="fakegw")
    with pytest.raises(ServiceError) as info:
        refund_order(order.id, "try")
    assert info.value.status == 409 and info.value.code == "ORDER_NOT_REFUNDABLE"
    assert fakegw.calls == []


def test_check_now_finalises_through_the_one_path(client, world, db, fakegw):
    order = make_order(
        world.types_a, {0: 1}, status="payment_pending", gateway="fakegw"
    )
    login(client, world.alice)
    payment = order.payments[0]
    resp = client.post(f"/organizer/orders/{order.id}/payments/{payment.id}/check")
    assert resp.status_code == 303
    order, payment = _reload(db, order)
    assert order.status == "paid" and payment.status == "captured"
    assert fakegw.calls == [("status", payment.id)]
    assert _sold(db, world.types_a[0]) == (1, 0)
    assert "Checked with the gateway: paid." in _flashes(client, order)
    # A payment of another order is not reachable through this order.
    other = make_order(world.types_a, status="payment_pending", gateway="fakegw")
    resp = client.post(
        f"/organizer/orders/{order.id}/payments/{other.payments[0].id}/check"
    )
    assert "No such payment on this order" in _flashes(client, order)
    assert len(fakegw.calls) == 1


def _email_rows(db) -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count()).where(OutboxEvent.topic == "email.send")
    )


def test_resend_tickets(client, world, db, jobs, smtp_sink):
    try:
        from app.events.services import queue_ticket_email  # noqa: F401
    except ImportError:
        pytest.xfail("needs app.events.services.queue_ticket_email")
    order = make_order(world.types_a, {0: 2}, email="hanako@example.com")
    login(client, world.alice)
    page = client.get(f"/organizer/orders/{order.id}").get_data(as_text=True)
    nonce = re.search(r'name="nonce" type="hidden" value="(\w+)"', page).group(1)
    before = _email_rows(db)

    assert client.post(f"/organizer/orders/{order.id}/resend", data={"nonce": nonce})
    assert _email_rows(db) == before + 1
    client.post(f"/organizer/orders/{order.id}/resend", data={"nonce": nonce})
    assert _email_rows(db) == before + 1  # a double submit books it once
    assert "on their way" in _flashes(client, order)
    jobs.run()
    mails = smtp_sink.to("hanako@example.com")
    assert len(mails) == 1
    codes = db.session.scalars(select(Ticket.code)).all()
    text = mails[0].get_body(("plain",)).get_content()
    assert all(code in text for code in codes)

    # The next click (a new page, a new nonce) sends again.
    page = client.get(f"/organizer/orders/{order.id}").get_data(as_text=True)
    nonce2 = re.search(r'name="nonce" type="hidden" value="(\w+)"', page).group(1)
    assert nonce2 != nonce
    client.post(f"/organizer/orders/{order.id}/resend", data={"nonce": nonce2})
    jobs.run()
    assert len(smtp_sink.to("hanako@example.com")) == 2


def test_resend_refused_for_unpaid_orders_and_bad_forms(client, world, db):
    order = make_order(world.types_a, status="payment_pending")
    login(client, world.alice)
    before = _email_rows(db)
    client.post(f"/organizer/orders/{order.id}/resend", data={"nonce": "ab" * 8})
    assert "only for paid orders" in _flashes(client, order)
    resp = client.post(f"/organizer/orders/{order.id}/resend", data={"nonce": "x"})
    assert resp.status_code == 400
    assert _email_rows(db) == before


def test_refund_end_to_end_through_the_komoju_sandbox(
    client, world, db, factory, live_url, jobs
):
    try:
        import app.payments.gateways.komoju  # noqa: F401
    except ImportError:
        pytest.skip("needs the Komoju adapter (app/payments/gateways/komoju.py)")
    import requests

    from app.payments.handoff import initiate_payment

    factory.payment_methods()
    order = make_order(
        world.types_a, {1: 2}, status="payment_pending", with_payment=False
    )
    method = db.session.scalar(
        select(PaymentMethod).where(PaymentMethod.code == "komoju_card")
    )
    payment = initiate_payment(order, method)
    db.session.commit()
    session_id = payment.gateway_txn_id
    resp = requests.post(
        f"{live_url}/_sandbox/komoju/sessions/{session_id}/complete",
        data={"payment_type": "credit_card", "outcome": "capture"},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code in (302, 303), resp.text

    login(client, world.alice)
    client.post(f"/organizer/orders/{order.id}/payments/{payment.id}/check")
    order, payment = _reload(db, order)
    assert (order.status, payment.status) == ("paid", "captured")
    assert _sold(db, world.types_a[1]) == (2, 0)

    resp = client.post(f"/organizer/orders/{order.id}/refund", data={"reason": "ok"})
    assert resp.status_code == 303
    order, payment = _reload(db, order)
    assert (order.status, payment.status) == ("refunded", "refunded")
    assert _sold(db, world.types_a[1]) == (0, 0)
    event = db.session.scalar(
        select(PaymentEvent).where(
            PaymentEvent.payment_id == payment.id, PaymentEvent.outcome == "refunded"
        )
    )
    assert '"status": "refunded"' in event.body
    assert "refunded through the payment gateway" in _flashes(client, order)

    # The sandbox agrees, and its refund webhook changes nothing further.
    status = requests.get(
        f"{live_url}/_sandbox/komoju/api/v1/payments/{payment.gateway_reference}",
        auth=(base_app_secret(client), ""),
        timeout=10,
    ).json()
    assert status["status"] == "refunded" and status["amount_refunded"] == 16000
    jobs.run()
    order, payment = _reload(db, order)
    assert (order.status, payment.status) == ("refunded", "refunded")
    assert "payment.refunded" in _outcomes(db, order)
    # Refunding again is refused before the gateway is asked.
    client.post(f"/organizer/orders/{order.id}/refund")
    assert "cannot be refunded" in _flashes(client, order)


def base_app_secret(client) -> str:
    return client.application.config["KOMOJU_SECRET_KEY"]


def test_racing_refunds_call_the_gateway_once(app, world, db, fakegw):
    """Two organizers (or two tabs) press refund at the same moment."""
    import threading
    import time

    order = make_order(world.types_a, {0: 2}, gateway="fakegw")
    original = FakeGateway.refund

    def slow_refund(self, ref, amount, idempotency_key=None):
        time.sleep(0.3)  # the first caller is still talking to the gateway
        return original(self, ref, amount, idempotency_key)

    FakeGateway.refund = slow_refund
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def press():
        with app.app_context():
            barrier.wait()
            try:
                outcomes.append(refund_order(order.id, "race"))
                db.session.commit()
            except ServiceError as exc:
                db.session.rollback()
                outcomes.append(f"{exc.status} {exc.code}")
            finally:
                db.session.remove()

    try:
        threads = [threading.Thread(target=press) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        FakeGateway.refund = original
    assert sorted(outcomes) == ["409 ORDER_NOT_REFUNDABLE", "refunded"]
    assert [c[0] for c in fakegw.calls] == ["refund"]
    order, payment = _reload(db, order)
    assert (order.status, payment.status) == ("refunded", "refunded")
    assert _sold(db, world.types_a[0]) == (0, 0)


def test_the_same_failed_form_again_says_so(client, world, db, fakegw):
    """Issue #14: a refund form's key names one refund; submitting the form of
    a refund that failed does not call the gateway again."""
    order = make_order(world.types_a, {0: 2}, gateway="fakegw")
    login(client, world.alice)
    page = client.get(f"/organizer/orders/{order.id}").get_data(as_text=True)
    key = re.search(r'name="key" value="([0-9a-f]{32})"', page).group(1)
    fakegw.refund_behaviour = "down"
    client.post(f"/organizer/orders/{order.id}/refund", data={"key": key})
    assert "did not confirm the refund" in _flashes(client, order)
    fakegw.refund_behaviour = "ok"
    client.post(f"/organizer/orders/{order.id}/refund", data={"key": key})
    assert "This refund failed" in _flashes(client, order)
    assert [c[0] for c in fakegw.calls] == ["refund"]
    order, payment = _reload(db, order)
    assert (order.status, payment.status) == ("paid", "captured")

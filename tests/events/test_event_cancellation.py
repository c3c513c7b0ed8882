"""An organizer cancels an event: every paid order is refunded through KOMOJU (the
sandbox, over HTTP) by a job, every buyer is emailed, and the progress page
counts the refunds while it runs."""

from __future__ import annotations

import re

from app.catalog.models import Event
from app.orders.models import Order
from app.payments.models import Refund
from tests.events.conftest import (
    checkout,
    deliver_webhooks,
    follow_return,
    init,
    run_ours,
)
from tests.support.factories import PASSWORD
from tests.support.komoju import complete


def _paid(shop, live_url, jobs, db, lines) -> int:
    data = init(shop, lines, "credit_card")
    follow_return(complete(live_url, data["gatewayTransactionId"], "credit_card"))
    deliver_webhooks(jobs)
    run_ours(jobs)
    db.session.rollback()
    assert db.session.get(Order, data["orderId"]).status == "paid"
    return data["orderId"]


def _token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_cancelling_refunds_every_paid_order_and_emails_buyers(
    app, shop, live_url, jobs, db, smtp_sink
):
    first = _paid(shop, live_url, jobs, db, [(shop.general, 2)])
    second = _paid(shop, live_url, jobs, db, [(shop.vip, 1)])
    client = app.test_client()
    client.post("/login", data={"email": shop.organizer.email, "password": PASSWORD})
    setup = f"/organizer/events/{shop.event.id}/setup"
    cancel = f"/organizer/events/{shop.event.id}/cancel"

    # Without the confirmation box nothing happens.
    client.post(cancel, data={"csrf_token": _token(client, setup)})
    db.session.rollback()
    assert db.session.get(Event, shop.event.id).cancelled_at is None

    resp = client.post(
        cancel, data={"csrf_token": _token(client, setup), "confirm": "cancel"}
    )
    assert resp.status_code == 303
    progress_url = resp.headers["Location"]
    page = client.get(progress_url).get_data(as_text=True)
    assert "0 of 2 paid orders refunded" in page and 'data-done="false"' in page
    # Checkout is closed at once.
    resp = checkout(shop, [(shop.general, 1)])
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "EVENT_CANCELLED"

    run_ours(jobs)
    deliver_webhooks(jobs)
    run_ours(jobs)
    db.session.rollback()
    for order_id in (first, second):
        assert db.session.get(Order, order_id).status == "refunded"
    keys = sorted(r.key for r in db.session.query(Refund).all())
    assert keys == sorted(
        f"event-{shop.event.id}-order-{oid}" for oid in (first, second)
    )
    page = client.get(progress_url).get_data(as_text=True)
    assert "2 of 2 paid orders refunded" in page and 'data-done="true"' in page
    subjects = [str(m["Subject"]) for m in smtp_sink.to("buyer@example.com")]
    assert subjects.count(f"{shop.event.title} is cancelled") == 2

    # A second cancel changes nothing and books nothing.
    resp = client.post(
        cancel, data={"csrf_token": _token(client, progress_url), "confirm": "cancel"}
    )
    run_ours(jobs)
    db.session.rollback()
    assert db.session.query(Refund).count() == 2

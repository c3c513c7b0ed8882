"""Issue #14: each gateway's refund API is called once however often the button
is pressed - refund records with a unique key, amounts and lines reserved by
conditional UPDATEs, the claim committed before KOMOJU is called. Ten
organizers' browsers press refund at the same instant against the live server;
the KOMOJU sandbox's own list of refunds is the judge. Runs on SQLite and on
PostgreSQL.
"""

from __future__ import annotations

import re

import requests
from sqlalchemy import func, select

from app.catalog.models import TicketType
from app.events.models import Ticket
from app.orders.models import Order, OrderItem
from app.payments.models import Payment, Refund
from tests.events.conftest import deliver_webhooks, follow_return, init, run_ours
from tests.support.concurrency import run_threads
from tests.support.factories import PASSWORD
from tests.support.komoju import complete, sandbox_payment

PRESSES = 10


def _browser(live_url, user) -> requests.Session:
    browser = requests.Session()
    resp = browser.post(
        f"{live_url}/login",
        data={"email": user.email, "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302
    return browser


def _key(browser, live_url, order_id) -> str:
    page = browser.get(f"{live_url}/organizer/orders/{order_id}", timeout=10).text
    return re.search(r'name="key" value="([0-9a-f]{32})"', page).group(1)


def test_racing_refund_buttons_refund_once_at_komoju(shop, live_url, db, jobs, report):
    data = init(shop, [(shop.general, 2)], "credit_card")
    follow_return(complete(live_url, data["gatewayTransactionId"], "credit_card"))
    deliver_webhooks(jobs)
    run_ours(jobs)
    db.session.rollback()
    order = db.session.get(Order, data["orderId"])
    assert order.status == "paid"
    payment = order.payments[0]
    item = db.session.scalar(select(OrderItem).where(OrderItem.order_id == order.id))
    browsers = [_browser(live_url, shop.organizer) for _ in range(PRESSES)]
    url = f"{live_url}/organizer/orders/{order.id}/refund"

    # One form, submitted ten times at once (a stuck button, a double click).
    key = _key(browsers[0], live_url, order.id)

    def same_form(i: int) -> int:
        form = {"key": key, f"qty-{item.id}": "1", "reason": "same form"}
        return browsers[i].post(url, data=form, allow_redirects=False).status_code

    assert set(run_threads(same_form, PRESSES)) == {303}
    after_same = sandbox_payment(live_url, payment.gateway_reference)

    # Ten different forms at once, each for one ticket: one ticket is left.
    keys = [_key(b, live_url, order.id) for b in browsers]

    def own_form(i: int) -> int:
        form = {"key": keys[i], f"qty-{item.id}": "1", "reason": f"tab {i}"}
        return browsers[i].post(url, data=form, allow_redirects=False).status_code

    assert set(run_threads(own_form, PRESSES)) == {303}
    gateway = sandbox_payment(live_url, payment.gateway_reference)
    db.session.rollback()
    refunds = db.session.scalars(select(Refund).where(Refund.order_id == order.id))
    done = [r for r in refunds if r.status == "succeeded"]
    row = report(
        "Racing refund buttons",
        f"{PRESSES} presses of one refund form, then {PRESSES} forms for the "
        "last ticket, at once, against the KOMOJU sandbox",
        operations=2 * PRESSES,
        refunds_at_komoju_after_same_form=(1, len(after_same["refunds"])),
        refunds_at_komoju=(2, len(gateway["refunds"])),
        refunded_at_komoju=(6000, gateway["amount_refunded"]),
        refund_rows_succeeded=(2, len(done)),
        refund_rows_other=(
            0,
            db.session.scalar(
                select(func.count(Refund.id)).where(
                    Refund.order_id == order.id, Refund.status != "succeeded"
                )
            ),
        ),
        amount_refunded=(6000, db.session.get(Payment, payment.id).amount_refunded),
        order_status=("refunded", db.session.get(Order, order.id).status),
        tickets_void=(
            2,
            db.session.scalar(
                select(func.count(Ticket.id)).where(
                    Ticket.order_id == order.id, Ticket.voided_at.is_not(None)
                )
            ),
        ),
        sold=(0, db.session.get(TicketType, shop.general.id).quantity_sold),
    )
    assert row.held, row.checks

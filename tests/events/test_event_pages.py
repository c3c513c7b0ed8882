"""The event page (guest and logged-in checkout), the buyer's order page, the
printable tickets, and the tickets email. Pages are driven like a browser without
JavaScript (plain form posts) against the live server."""

from __future__ import annotations

import re

import requests
from sqlalchemy import select, update

from app.catalog.models import TicketType
from app.events.models import Ticket
from app.mail.models import EmailLog
from app.orders.models import Order
from tests.events.conftest import (
    absolute,
    count,
    deliver_webhooks,
    follow_return,
    init,
    post_ticket_form,
    run_ours,
    ticket_form,
    web_checkout,
)
from tests.support.factories import PASSWORD
from tests.support.komoju import complete


def logged_in(live_url, email) -> requests.Session:
    browser = requests.Session()
    resp = browser.post(
        f"{live_url}/login",
        data={"email": email, "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302, resp.text
    return browser


def pay_by_card(live_url, jobs, web) -> None:
    follow_return(complete(live_url, web.session_id, "credit_card"))
    deliver_webhooks(jobs)
    run_ours(jobs)


def test_event_page_lists_types_prices_and_seats(shop, live_url, db):
    db.session.execute(
        update(TicketType).where(TicketType.id == shop.vip.id).values(quantity_sold=7)
    )
    db.session.commit()
    page = requests.get(f"{live_url}/events/{shop.event.id}", timeout=10)
    assert page.status_code == 200
    assert "¥3,000" in page.text and "¥8,000" in page.text
    general = re.search(
        rf'<select name="qty-{shop.general.id}".*?</select>', page.text, re.S
    )
    vip = re.search(rf'<select name="qty-{shop.vip.id}".*?</select>', page.text, re.S)
    assert general.group(0).count("<option") == 11  # 0..10 per order
    assert vip.group(0).count("<option") == 4  # 0..3 left
    assert 'data-seats-left="3"' in page.text
    assert 'src="/static/js/event.js"' in page.text and "<script>" not in page.text
    assert 'value="komoju_card"' in page.text and 'value="komoju_konbini"' in page.text
    assert 'value="bank_transfer"' not in page.text
    db.session.execute(
        update(TicketType).where(TicketType.id == shop.vip.id).values(quantity_sold=10)
    )
    db.session.commit()
    page = requests.get(f"{live_url}/events/{shop.event.id}", timeout=10)
    assert f'name="qty-{shop.vip.id}"' not in page.text and "Sold out" in page.text


def test_guest_checkout_and_the_order_key(shop, live_url, db, jobs, smtp_sink):
    web = web_checkout(
        live_url,
        shop.event.id,
        [(shop.general, 2)],
        "komoju_card",
        name="Guest Buyer",
        email="guest@example.com",
    )
    order = db.session.scalar(select(Order).where(Order.public_id == web.public_id))
    assert order.user_id is None and order.kind == "event"
    assert (order.customer_name, order.customer_email) == (
        "Guest Buyer",
        "guest@example.com",
    )
    assert [a["email"] for a in order.items[0].attendees] == [
        f"web{shop.general.id}-1@example.com",
        f"web{shop.general.id}-2@example.com",
    ]
    assert len(order.order_key) >= 40  # unguessable
    pay_by_card(live_url, jobs, web)
    base = f"{live_url}/events/orders/{web.public_id}"
    assert requests.get(f"{base}?key={web.key}", timeout=10).status_code == 200
    for bad in ("", "?key=", "?key=wrong", f"?key={web.key[:-1]}"):
        assert requests.get(f"{base}{bad}", timeout=10).status_code == 404
    other = web_checkout(
        live_url, shop.event.id, [(shop.vip, 1)], email="o@example.com"
    )
    assert requests.get(f"{base}?key={other.key}", timeout=10).status_code == 404
    generic = requests.get(
        f"{live_url}/orders/{web.public_id}?key={web.key}", timeout=10
    )
    assert generic.status_code == 200
    assert 'id="order-tickets-link"' in generic.text  # the shared order page too
    # Printable tickets: all of the order's, and one by its code.
    codes = [t.code for t in db.session.scalars(select(Ticket)).all()]
    assert len(codes) == 2 and all(re.fullmatch(r"[A-Z2-7]{16}", c) for c in codes)
    sheet = requests.get(
        f"{live_url}/orders/{web.public_id}/tickets?key={web.key}", timeout=10
    )
    assert sheet.status_code == 200 and sheet.text.count("<svg") == 2
    assert all(code in sheet.text for code in codes)
    one = requests.get(f"{live_url}/tickets/{codes[0]}?key={web.key}", timeout=10)
    assert one.status_code == 200 and codes[0] in one.text and codes[1] not in one.text
    for url in (
        f"{live_url}/tickets/{codes[0]}",
        f"{live_url}/tickets/{codes[0]}?key={other.key}",
        f"{live_url}/tickets/NOSUCHCODE?key={web.key}",
        f"{live_url}/orders/{web.public_id}/tickets?key=nope",
    ):
        assert requests.get(url, timeout=10).status_code == 404
    # The email: codes, QR images and links that carry the order key.
    mail = [m for m in smtp_sink.to("guest@example.com") if "tickets" in m["Subject"]]
    assert len(mail) == 1
    html = mail[0].get_body(("html",)).get_content()
    assert html.count('src="data:image/png;base64,') == 2
    assert f"/orders/{web.public_id}/tickets?key={web.key}" in html
    text = mail[0].get_body(("plain",)).get_content()
    assert f"/orders/{web.public_id}?key={web.key}" in text
    # Each attendee gets their own ticket email: their one QR code, no order key.
    tickets = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
    for n, ticket in enumerate(tickets, start=1):
        own = smtp_sink.to(f"web{shop.general.id}-{n}@example.com")
        assert len(own) == 1, [m["Subject"] for m in own]
        html = own[0].get_body(("html",)).get_content()
        assert html.count('src="data:image/png;base64,') == 1
        assert ticket.code in html and ticket.attendee_name in html
        assert web.key not in html and web.key not in own[0].as_string()
        assert ticket.code not in "".join(t.code for t in tickets if t is not ticket)


def test_logged_in_buyer_finds_the_order_in_the_account(shop, live_url, db, jobs):
    browser = logged_in(live_url, "buyer@example.com")
    page = browser.get(f"{live_url}/events/{shop.event.id}", timeout=10)
    assert 'value="Hanako Yamada"' in page.text
    assert 'value="buyer@example.com"' in page.text
    web = web_checkout(
        live_url,
        shop.event.id,
        [(shop.vip, 1)],
        "komoju_card",
        browser=browser,
        name="Hanako Yamada",
        email="buyer@example.com",
    )
    order = db.session.scalar(select(Order).where(Order.public_id == web.public_id))
    assert order.user_id == shop.buyer.id
    pay_by_card(live_url, jobs, web)
    mine = browser.get(f"{live_url}/orders", timeout=10)
    assert web.public_id in mine.text
    tickets = browser.get(f"{live_url}/tickets", timeout=10)
    code = db.session.scalar(select(Ticket.code))
    assert code in tickets.text
    # No key needed for the owner.
    own = browser.get(f"{live_url}/events/orders/{web.public_id}", timeout=10)
    assert own.status_code == 200 and code in own.text
    assert browser.get(f"{live_url}/tickets/{code}", timeout=10).status_code == 200
    anonymous = requests.get(f"{live_url}/tickets", allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302  # to the login page


def test_the_events_organizer_sees_the_tickets_others_do_not(
    shop, live_url, db, jobs, factory
):
    web = web_checkout(live_url, shop.event.id, [(shop.vip, 1)], "komoju_card")
    pay_by_card(live_url, jobs, web)
    code = db.session.scalar(select(Ticket.code))
    organizer = logged_in(live_url, "organizer@example.com")
    assert organizer.get(f"{live_url}/tickets/{code}", timeout=10).status_code == 200
    factory.user(email="rival@example.com", role="organizer")
    rival = logged_in(live_url, "rival@example.com")
    assert rival.get(f"{live_url}/tickets/{code}", timeout=10).status_code == 404


def test_form_errors_show_a_message_and_change_nothing(shop, live_url, db):
    browser = requests.Session()
    cases = [
        (ticket_form([]), 400, "Choose at least one ticket"),
        (
            {
                **ticket_form([(shop.general, 2)]),
                f"attendee-{shop.general.id}-1-email": "not-an-email",
            },
            400,
            "check the tickets and attendees",
        ),
        ({**ticket_form([(shop.general, 1)]), "customer_email": ""}, 400, "check"),
        ({**ticket_form([(shop.general, 1)]), "method": "esewa"}, 400, "check"),
        (ticket_form([(shop.vip, 11)]), 400, "check the tickets"),
    ]
    for form, code, message in cases:
        resp = post_ticket_form(browser, live_url, shop.event.id, form)
        assert resp.status_code == code, (form, resp.status_code)
        assert message.lower() in resp.text.lower(), message
    # Values the buyer typed are kept.
    resp = post_ticket_form(
        browser,
        live_url,
        shop.event.id,
        {**ticket_form([(shop.general, 1)], name="Keep Me"), "customer_email": ""},
    )
    assert 'value="Keep Me"' in resp.text
    assert count(db, Order) == 0
    db.session.rollback()
    assert db.session.get(TicketType, shop.general.id).reserved == 0


def test_sold_out_on_the_page_is_a_clear_409(shop, live_url, db):
    init(shop, [(shop.vip, 9)], "konbini")
    browser = requests.Session()
    resp = post_ticket_form(
        browser, live_url, shop.event.id, ticket_form([(shop.vip, 2)])
    )
    assert resp.status_code == 409
    assert "Not enough" in resp.text and shop.vip.name in resp.text
    assert count(db, Order) == 1


def test_a_double_submitted_form_creates_one_order(shop, live_url, db):
    browser = requests.Session()
    token = re.search(
        r'name="form_token"[^>]*value="([^"]+)"',
        browser.get(f"{live_url}/events/{shop.event.id}", timeout=10).text,
    ).group(1)
    form = {**ticket_form([(shop.general, 1)]), "form_token": token}
    url = f"{live_url}/events/{shop.event.id}/checkout"
    first = browser.post(url, data=form, allow_redirects=False, timeout=30)
    second = browser.post(url, data=form, allow_redirects=False, timeout=30)
    assert "/handoff" in first.headers["Location"]
    assert "/handoff" not in second.headers["Location"]
    assert count(db, Order) == 1


def test_resend_books_a_new_email_once_per_tag(shop, live_url, db, jobs, smtp_sink):
    from app.events.services import queue_ticket_email

    web = web_checkout(live_url, shop.event.id, [(shop.vip, 1)], "komoju_card")
    pay_by_card(live_url, jobs, web)
    order = db.session.scalar(select(Order).where(Order.public_id == web.public_id))
    queue_ticket_email(order, "a1")
    queue_ticket_email(order, "a1")
    queue_ticket_email(order, "x" * 200)  # long tags are hashed into the key
    db.session.commit()
    jobs.run()
    keys = db.session.scalars(
        select(EmailLog.dedupe_key).where(EmailLog.dedupe_key.like("tickets-%"))
    ).all()
    assert len(keys) == 3 and f"tickets-order-{order.id}-resend-a1" in keys
    mails = [m for m in smtp_sink.to("guest@example.com") if "tickets" in m["Subject"]]
    assert len(mails) == 3


def test_result_landing_for_an_order_still_being_confirmed(shop, live_url, db, jobs):
    web = web_checkout(live_url, shop.event.id, [(shop.vip, 1)], "komoju_card")
    resp = follow_return(complete(live_url, web.session_id, "credit_card"))
    page = web.browser.get(absolute(live_url, resp.headers["Location"]), timeout=10)
    assert page.status_code == 200
    assert 'data-status="payment_pending"' in page.text
    assert "confirming your payment" in page.text


def test_the_return_landing_reveals_nothing_to_strangers(shop, live_url, db, jobs):
    """The generic redirect endpoint answers anyone (eSewa's failure return is
    unsigned), so the landing it points to must not hand out the order key."""
    web = web_checkout(live_url, shop.event.id, [(shop.vip, 1)], "komoju_card")
    stranger = requests.Session()
    hop = stranger.get(
        f"{live_url}/api/payments/redirect/{web.payment_id}/failure",
        headers={"Accept": "text/html"},
        allow_redirects=False,
        timeout=10,
    )
    assert hop.status_code == 302 and web.key not in hop.headers["Location"]
    page = stranger.get(absolute(live_url, hop.headers["Location"]), timeout=10)
    assert page.status_code == 200 and 'id="return-elsewhere"' in page.text
    assert web.key not in page.text and web.public_id not in page.text
    unknown = stranger.get(f"{live_url}/events/orders/ord_nope/return", timeout=10)
    assert 'id="return-elsewhere"' in unknown.text
    db.session.rollback()
    order = db.session.scalar(select(Order).where(Order.public_id == web.public_id))
    assert order.status == "payment_pending"  # a stranger cannot cancel it either
    # The buyer's own browser is let through (to the order page, with its key).
    mine = web.browser.get(
        f"{live_url}/events/orders/{web.public_id}/return",
        allow_redirects=False,
        timeout=10,
    )
    assert mine.headers["Location"].endswith(
        f"/events/orders/{web.public_id}?key={web.key}"
    )


def test_sales_count_on_capture_and_a_refund_voids_the_tickets(
    shop, live_url, db, jobs
):
    from app.events.services import total_sales
    from app.payments.refunds import refund_order

    web = web_checkout(live_url, shop.event.id, [(shop.vip, 2)], "komoju_card")
    assert total_sales(shop.event.id) == 0  # nothing counted while unpaid
    pay_by_card(live_url, jobs, web)
    order = db.session.scalar(select(Order).where(Order.public_id == web.public_id))
    assert total_sales(shop.event.id) == order.total == 16000
    assert db.session.get(TicketType, shop.vip.id).quantity_sold == 2
    assert refund_order(order.id, "event moved") == "refunded"
    db.session.commit()
    deliver_webhooks(jobs)  # KOMOJU's payment.refunded
    run_ours(jobs)
    order = db.session.get(Order, order.id)
    assert order.status == "refunded"
    assert total_sales(shop.event.id) == 0
    vip = db.session.get(TicketType, shop.vip.id)
    assert (vip.quantity_sold, vip.reserved) == (0, 0)  # back on sale
    sheet = requests.get(
        f"{live_url}/orders/{web.public_id}/tickets?key={web.key}", timeout=10
    )
    assert 'id="tickets-void"' in sheet.text

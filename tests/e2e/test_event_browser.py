"""Issue 5's 'done when', in a real browser with a real worker process:

- a guest buys two tickets with konbini, sees the on-hold page with the slip, the
  sandbox marks the slip paid at the store, and the tickets (with QR codes) arrive
  by email;
- a card buyer gets the tickets at once.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.events.models import Ticket
from tests.conftest import wait_for

pytestmark = pytest.mark.browser


def ticket_mails(smtp_sink, to):
    return [m for m in smtp_sink.to(to) if str(m["Subject"]).startswith("Your tickets")]


def fill_tickets(page, ticket_type, n: int, prefix: str) -> None:
    page.select_option(f"#qty-{ticket_type.id}", str(n))
    for i in range(n):
        page.fill(
            f"input[name=attendee-{ticket_type.id}-{i}-name]", f"{prefix} {i + 1}"
        )
        page.fill(
            f"input[name=attendee-{ticket_type.id}-{i}-email]",
            f"{prefix.lower()}{i + 1}@example.com",
        )


def test_guest_buys_two_tickets_with_konbini(page, factory, worker, db, smtp_sink):
    factory.payment_methods()
    event, (general, _vip) = factory.event(quantities=(50, 10), prices=(3000, 8000))

    page.goto(f"/events/{event.id}")
    # Attendee rows follow the chosen quantity (event.js).
    assert page.locator("fieldset[data-attendee]:visible").count() == 0
    fill_tickets(page, general, 2, "Friend")
    assert page.locator("fieldset[data-attendee]:visible").count() == 2
    assert page.inner_text("#ticket-total") == "¥6,000"
    page.fill("input[name=customer_name]", "Guest Buyer")
    page.fill("input[name=customer_email]", "guest@example.com")
    page.check("#method-komoju_konbini")
    page.click("#buy-tickets")

    # KOMOJU's hosted page (sandbox): issue a konbini slip.
    page.wait_for_url("**/_sandbox/komoju/sessions/**")
    assert "6,000" in page.inner_text("#komoju-amount")
    page.click("#komoju-konbini-capture")

    # Back at the shop: the on-hold page with the slip, once the worker verified it.
    page.wait_for_url("**/events/orders/**")
    page.wait_for_selector("#on-hold", timeout=30000)
    assert "on hold" in page.inner_text("#order-status")
    receipt = page.inner_text("#slip-receipt")
    assert receipt and page.inner_text("#slip-confirmation")
    assert "key=" in page.inner_text("#order-key-link")
    order_url = page.url
    wait_for(
        lambda: [
            m
            for m in smtp_sink.to("guest@example.com")
            if "How to pay" in str(m["Subject"])
        ],
        timeout=30,
    )

    # The customer pays at the store: the sandbox marks the slip paid.
    page.goto(page.get_attribute("#slip-instructions", "href"))
    page.click("#komoju-pay-at-store")
    page.wait_for_selector("text=The slip was paid at the store.")

    mails = wait_for(lambda: ticket_mails(smtp_sink, "guest@example.com"), timeout=30)
    assert len(mails) == 1
    qr_images = [
        p for p in mails[0].iter_attachments() if p.get_content_type() == "image/png"
    ]
    assert len(qr_images) == 2
    assert all(p.get_content().startswith(b"\x89PNG") for p in qr_images)
    db.session.rollback()
    codes = db.session.scalars(select(Ticket.code)).all()
    assert len(codes) == 2
    text = mails[0].get_body(("plain",)).get_content()
    assert all(code in text for code in codes)

    page.goto(order_url)
    page.wait_for_selector("#tickets")
    assert page.locator("#tickets .ticket .qr svg").count() == 2
    assert "paid" in page.inner_text("#order-status")


def test_card_buyer_gets_tickets_at_once(page, factory, worker, db, smtp_sink):
    factory.payment_methods()
    event, (_general, vip) = factory.event(quantities=(50, 10), prices=(3000, 8000))

    page.goto(f"/events/{event.id}")
    fill_tickets(page, vip, 1, "Card")
    page.fill("input[name=customer_name]", "Card Buyer")
    page.fill("input[name=customer_email]", "card@example.com")
    page.check("#method-komoju_card")
    page.click("#buy-tickets")
    page.wait_for_url("**/_sandbox/komoju/sessions/**")
    page.click("#komoju-credit_card-capture")
    page.wait_for_url("**/events/orders/**")
    page.wait_for_selector("#tickets", timeout=30000)  # the page reloads when paid
    assert page.locator("#tickets .ticket .qr svg").count() == 1
    page.click("#print-link")
    page.wait_for_url("**/tickets?key=**")
    assert page.locator("#printable-tickets .ticket").count() == 1
    mails = wait_for(lambda: ticket_mails(smtp_sink, "card@example.com"), timeout=30)
    assert len(mails) == 1


def test_cancel_on_the_hosted_page_returns_to_the_event(page, factory, worker, db):
    factory.payment_methods()
    event, (general, _vip) = factory.event(quantities=(50, 10), prices=(3000, 8000))
    page.goto(f"/events/{event.id}")
    fill_tickets(page, general, 1, "Maybe")
    page.fill("input[name=customer_name]", "Undecided")
    page.fill("input[name=customer_email]", "maybe@example.com")
    page.click("#buy-tickets")
    page.wait_for_url("**/_sandbox/komoju/sessions/**")
    page.click("#komoju-cancel")
    page.wait_for_url(f"**/events/{event.id}")
    assert "Payment cancelled" in page.inner_text("main")
    assert (
        page.inner_text(f"tr[data-ticket-type='{general.id}'] [data-seats-left]")
        == "50"
    )

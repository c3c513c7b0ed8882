"""A declined card on tickets (issue #15): the page says "declined", not
"cancelled", and the same tickets, attendees and buyer are there to pay again."""

from __future__ import annotations

import requests

from tests.events.conftest import absolute, deliver_webhooks, run_ours, web_checkout
from tests.support.komoju import complete


def test_declined_card_keeps_the_form(shop, live_url, db, jobs):
    web = web_checkout(
        live_url,
        shop.event.id,
        [(shop.vip, 2)],
        "komoju_card",
        name="Aiko Tanaka",
        email="aiko@example.com",
    )
    location = complete(live_url, web.session_id, "credit_card", "decline")
    deliver_webhooks(jobs)  # KOMOJU's payment.failed, sent as the card is refused
    run_ours(jobs)
    back = web.browser.get(location, allow_redirects=False, timeout=10)
    landing = web.browser.get(
        absolute(live_url, back.headers["Location"]), allow_redirects=False, timeout=10
    )
    assert landing.headers["Location"].endswith(f"/events/{shop.event.id}")
    page = web.browser.get(absolute(live_url, landing.headers["Location"]), timeout=10)
    text = page.text
    assert "declined" in text and "Payment cancelled" not in text
    assert 'value="Aiko Tanaka"' in text and 'value="aiko@example.com"' in text
    vip = f'name="qty-{shop.vip.id}"'
    assert vip in text
    select = text[text.index(vip) :]
    assert '<option value="2" selected>' in select[: select.index("</select>")]
    assert f'name="attendee-{shop.vip.id}-1-name"' in text
    assert 'value="komoju_card" id="method-komoju_card" checked' in text
    # Only once: the next visit is a fresh form.
    again = web.browser.get(f"{live_url}/events/{shop.event.id}", timeout=10).text
    assert 'value="Aiko Tanaka"' not in again


def test_a_stranger_cannot_have_someone_elses_order_refilled(shop, live_url, db, jobs):
    web = web_checkout(
        live_url, shop.event.id, [(shop.vip, 1)], "komoju_card", name="Aiko Tanaka"
    )
    location = complete(live_url, web.session_id, "credit_card", "decline")
    deliver_webhooks(jobs)
    stranger = requests.Session()
    back = stranger.get(location, allow_redirects=False, timeout=10)
    landing = stranger.get(
        absolute(live_url, back.headers["Location"]), allow_redirects=False, timeout=10
    )
    assert "Aiko Tanaka" not in landing.text

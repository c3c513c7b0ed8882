"""Emails go out in the language and zone of the person who placed the order.

Real parts: the ticket form over HTTP, the KOMOJU sandbox, the outbox jobs and an
SMTP sink that receives the messages.
"""

from __future__ import annotations

import requests

from app.db import utcnow
from app.i18n.formatting import datetime_text
from app.orders.models import Order
from app.payments.models import Payment
from tests.events.conftest import absolute, follow_return, run_ours, web_checkout
from tests.support.komoju import complete, sandbox_session

STORES_JA = {
    "seven-eleven": "セブン-イレブン",
    "lawson": "ローソン",
    "family-mart": "ファミリーマート",
    "ministop": "ミニストップ",
    "daily-yamazaki": "デイリーヤマザキ",
    "seicomart": "セイコーマート",
}


def browser(language: str, zone: str | None) -> requests.Session:
    session = requests.Session()
    session.headers["Accept-Language"] = language
    if zone:
        session.cookies.set("tz", zone)
    return session


def konbini_order(live_url, shop, db, session, email):
    web = web_checkout(
        live_url,
        shop.event.id,
        [(shop.general, 1)],
        browser=session,
        name="山田 花子",
        email=email,
    )
    location = complete(live_url, web.session_id, "konbini")
    return web, follow_return(location)  # the buyer's browser comes back


def test_japanese_buyers_konbini_email_is_japanese_with_the_deadline_in_jst(
    shop, live_url, db, jobs, smtp_sink
):
    web, returned = konbini_order(
        live_url, shop, db, browser("ja-JP,ja;q=0.9", "Asia/Tokyo"), "hanako@example.jp"
    )
    run_ours(jobs)
    db.session.rollback()
    payment = db.session.get(Payment, web.payment_id)
    order = payment.order
    assert (order.locale, order.timezone) == ("ja", "Asia/Tokyo")
    assert order.status == "on_hold" and payment.approve_by is not None

    mails = smtp_sink.to("hanako@example.jp")
    assert len(mails) == 1
    mail = mails[0]
    subject = str(mail["Subject"])
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert subject == f"【お支払いのご案内】ご注文 {order.public_id}"
    deadline = datetime_text(payment.approve_by, "Asia/Tokyo", "ja")
    assert deadline.endswith(" JST") and "年" in deadline
    assert f"支払期限: {deadline}" in text and deadline in html
    assert "お客様の現地時間" not in text  # the buyer is in Japan: one clock
    slip = sandbox_session(live_url, web.session_id)["payment"]["payment_details"]
    assert f"お支払い番号（受付番号）: {slip['receipt']}" in text
    assert f"確認番号: {slip['confirmation_code']}" in text
    assert STORES_JA[slip["store"]] in text
    assert "山田 花子 様" in text
    assert "UTC" not in text and "Please pay" not in text

    # The order page the buyer lands on says the same, in Japanese.
    page = web.browser.get(absolute(live_url, returned.headers["Location"]), timeout=10)
    assert "コンビニでのお支払い" in page.text and deadline in page.text
    # So does the shared result page: the slip in Japanese, the deadline in JST.
    result = web.browser.get(
        f"{live_url}/payments/result/{order.public_id}?key={order.order_key}",
        timeout=10,
    )
    assert 'id="konbini-slip"' in result.text and deadline in result.text
    assert STORES_JA[slip["store"]] in result.text and slip["receipt"] in result.text
    assert "お支払い番号（受付番号）" in result.text and "確認番号" in result.text


def test_each_recipient_gets_their_own_language_in_one_job_run(
    shop, live_url, db, jobs, smtp_sink
):
    """A Nepali buyer in Kathmandu and an English one: the same job run writes
    each email in its buyer's language; the konbini deadline is given in JST and
    in the buyer's own zone."""
    ne_web, _ = konbini_order(
        live_url, shop, db, browser("ne", "Asia/Kathmandu"), "sita@example.com"
    )
    en_web, _ = konbini_order(
        live_url, shop, db, browser("en-GB", None), "guest@example.com"
    )
    run_ours(jobs)
    db.session.rollback()
    ne_payment = db.session.get(Payment, ne_web.payment_id)
    en_order = db.session.get(Payment, en_web.payment_id).order
    assert ne_payment.order.locale == "ne" and en_order.locale == "en"

    (ne_mail,) = smtp_sink.to("sita@example.com")
    ne_text = ne_mail.get_body(("plain",)).get_content()
    in_japan = datetime_text(ne_payment.approve_by, "Asia/Tokyo", "ne")
    at_home = datetime_text(ne_payment.approve_by, "Asia/Kathmandu", "ne")
    assert in_japan.endswith("जापान समय") and at_home.endswith("नेपाल समय")
    assert in_japan in ne_text and f"तपाईंको समय: {at_home}" in ne_text
    assert "भुक्तानी" in str(ne_mail["Subject"])

    (en_mail,) = smtp_sink.to("guest@example.com")
    assert str(en_mail["Subject"]).startswith("How to pay for order")
    assert "Please pay before" in en_mail.get_body(("plain",)).get_content()


def test_orders_made_outside_a_request_default_to_english(factory, db):
    from app.orders.services import LineItem, create_order

    order = create_order(
        kind="cart",
        user_id=None,
        currency="NPR",
        items=[LineItem("Book", "digital_book", 1000)],
    )
    db.session.commit()
    stored = db.session.get(Order, order.id)
    assert stored.locale == "en" and stored.timezone == "UTC"
    assert stored.expires_at > utcnow()

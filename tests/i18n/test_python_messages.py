"""What Python says on pages follows the reader's language (issue #16, round two):
flashes, service errors on pages, abort() texts, WTForms' own messages (also in
Nepali, for which WTForms ships no catalog), the eSewa hand-off, the konbini
slip on the result page, and the organizer's CSV."""

from __future__ import annotations

import csv
import io

from flask_wtf import FlaskForm

import app.composition  # noqa: F401 - imports every form module
from app.i18n.forms import Form
from tests.support.cart import fill_cart
from tests.support.factories import PASSWORD


def text_of(resp) -> str:
    return resp.get_data(as_text=True)


def login(client, email: str, lang: str) -> None:
    resp = client.post(
        f"/login?lang={lang}", data={"email": email, "password": PASSWORD}
    )
    assert resp.status_code == 302, text_of(resp)[:300]


def test_flash_messages_follow_the_language(client, factory):
    user = factory.user(email="hana@example.com", name="Hanako")
    login(client, user.email, "ja")
    page = text_of(client.get("/"))
    assert "Hanako様としてログインしました。" in page
    client.post("/logout")
    assert "ログアウトしました。" in text_of(client.get("/"))

    login(client, user.email, "ne")
    assert "Hanako को रूपमा लग इन भयो।" in text_of(client.get("/"))
    wrong = client.post("/login", data={"email": user.email, "password": "wrong!!!"})
    assert wrong.status_code == 401
    assert "इमेल वा पासवर्ड मिलेन।" in text_of(wrong)


def test_a_service_error_on_a_page_is_in_the_readers_language(client):
    resp = client.get("/events/987654?lang=ne")
    assert resp.status_code == 404
    assert "त्यस्तो कार्यक्रम छैन।" in text_of(resp)


def test_abort_descriptions_are_translated(client):
    resp = client.post(
        "/language", data={"lang": "xx"}, headers={"Accept-Language": "ja"}
    )
    assert resp.status_code == 400
    assert "対応していない言語です。" in text_of(resp)
    nul = client.get("/?q=%00", headers={"Accept-Language": "ne"})
    assert nul.status_code == 400
    assert "पाठमा NUL अक्षर राख्न मिल्दैन।" in text_of(nul)


def test_wtforms_messages_in_nepali_and_japanese(client):
    empty = {"name": "", "email": "", "password": ""}
    ne = text_of(client.post("/register?lang=ne", data=empty))
    assert "यो फिल्ड आवश्यक छ।" in ne and "This field is required." not in ne
    ja = text_of(client.post("/register?lang=ja", data=empty))
    assert "この項目は必須です。" in ja
    short = {"name": "Sita", "email": "sita@example.com", "password": "short"}
    ne_short = text_of(client.post("/register?lang=ne", data=short))
    assert "८" in ne_short or "8" in ne_short
    assert (
        "यो फिल्ड %(min)d देखि %(max)d अक्षरसम्म हुनुपर्छ।".replace("%(min)d", "8").replace(
            "%(max)d", "200"
        )
        in ne_short
    )


def test_every_form_of_the_shop_uses_the_translated_base():
    """A new form deriving from FlaskForm directly would show English
    validation messages on Nepali pages."""

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [
        c
        for c in subclasses(FlaskForm)
        if c.__module__.startswith("app.")
        and not c.__module__.startswith("app.sandbox")
    ]
    assert len(ours) > 8
    assert [c.__qualname__ for c in ours if not issubclass(c, Form)] == []


def test_csrf_refusal_page_is_translated(base_app):
    from app import create_app

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": base_app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_CONNECTION": base_app.config["REDIS_CONNECTION"],
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "WTF_CSRF_ENABLED": True,
        }
    )
    resp = app.test_client().post("/language?lang=ja", data={"lang": "en"})
    assert resp.status_code == 400
    assert "フォームのCSRFトークンがありません。" in text_of(resp)


def test_esewa_handoff_page_speaks_nepali(api, client, factory, db):
    from app.payments.models import Payment

    factory.payment_methods()
    user = factory.user(email="sita@example.com", name="Sita")
    course = factory.product("course", price=110000, currency="NPR")
    api.login(user.email, PASSWORD)
    fill_cart(api, course)
    resp = api.post("/api/orders/checkout", json={"gateway": "esewa"})
    assert resp.status_code in (200, 201), resp.get_json()
    payment = db.session.scalars(db.select(Payment).order_by(Payment.id.desc())).first()
    assert payment.gateway == "esewa"
    page = text_of(
        client.get(
            f"/payments/{payment.id}/handoff?key={payment.order.order_key}&lang=ne"
        )
    )
    assert "ई-सेवा (eSewa) मा जानुहोस्" in page
    assert "ई-सेवाको पृष्ठमा" in page
    assert "रू १,१००.००" in page


def test_organizer_csv_headers_in_the_organizers_language(client, factory):
    organizer = factory.user(email="org@example.com", role="organizer")
    event, _types = factory.event(organizer)
    login(client, organizer.email, "ja")
    resp = client.get(f"/organizer/events/{event.id}/orders.csv")
    assert resp.status_code == 200
    header = next(csv.reader(io.StringIO(text_of(resp))))
    assert header[:2] == ["注文ID", "公開ID"] and "支払日時（UTC）" in header
    login(client, organizer.email, "en")
    header = next(
        csv.reader(
            io.StringIO(text_of(client.get(f"/organizer/events/{event.id}/orders.csv")))
        )
    )
    assert header[0] == "order id"


def test_payment_method_problems_are_translated_with_money(api, factory):
    factory.payment_methods()
    user = factory.user(email="yuki@example.com")
    pricey = factory.product("course", price=30_000_001, currency="JPY")
    api.login(user.email, PASSWORD)
    fill_cart(api, pricey)
    answers = {
        lang: api.post(
            "/api/orders/checkout",
            json={"gateway": "komoju_konbini"},
            headers={"Accept-Language": lang},
        ).get_json()["error"]
        for lang in ("en", "ja")
    }
    assert {a["code"] for a in answers.values()} == {"PAYMENT_METHOD_NOT_ALLOWED"}
    assert answers["en"]["message"] == (
        "Konbini (convenience store) cannot take an order over ¥30,000,000."
    )
    assert answers["ja"]["message"].endswith(
        "でお支払いいただけるのは30,000,000円までのご注文です。"
    )

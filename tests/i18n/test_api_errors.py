"""API errors speak the caller's `Accept-Language`; `error.code` never changes.

A representative refusal of each kind (validation 400/422, 401, 404, 409, 429,
and Werkzeug's own 404) on the ResponseDto API, and Connect errors on /rpc, are
asked for in English, Japanese and Nepali: the code, status and details keys are
the same, the message is in the asked-for script and differs from the English.
"""

from __future__ import annotations

import pytest

from app.accounts.merchant_keys import create_merchant_key
from tests.booklets.conftest import ADDRESS
from tests.events.conftest import checkout_body
from tests.support.factories import PASSWORD

LANGUAGES = ("en", "ja", "ne")
RPC = "/rpc/payment.v1.PaymentService"


def japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


def nepali(text: str) -> bool:
    return any("\u0900" <= ch <= "\u097f" for ch in text)


def in_each_language(send) -> dict[str, tuple[int, dict]]:
    """`send(headers)` once per language; (status, error object) by language."""
    answers = {}
    for lang in LANGUAGES:
        resp = send({"Accept-Language": lang})
        body = resp.get_json()
        error = body.get("error", body)  # Connect errors are the body itself
        answers[lang] = (resp.status_code, error)
    return answers


def assert_translated(answers, status: int, code: str) -> dict[str, str]:
    (en_status, en), (ja_status, ja), (ne_status, ne) = (
        answers[lang] for lang in LANGUAGES
    )
    assert en_status == ja_status == ne_status == status, answers
    assert en["code"] == ja["code"] == ne["code"] == code, answers
    assert not japanese(en["message"]) and not nepali(en["message"]), en
    assert japanese(ja["message"]), ja
    assert nepali(ne["message"]), ne
    return {lang: answers[lang][1]["message"] for lang in LANGUAGES}


@pytest.fixture
def booklet(factory, shop):
    return factory.product("booklet", price=45000, title="Field Guide", stock=5)


def test_validation_error_422_with_translated_details(shop, booklet):
    def send(headers):
        return shop.api.post(
            "/api/booklets/checkout",
            json={
                "productId": booklet.id,
                "shippingAddress": {**ADDRESS, "city": ""},
                "gateway": "esewa",
            },
            headers=headers,
        )

    answers = in_each_language(send)
    messages = assert_translated(answers, 422, "INVALID_ADDRESS")
    assert (
        messages["ja"]
        == "お届け先の住所をすべてご入力ください: 市区町村を入力してください。"
    )
    # The details keep their keys; the sentences for people follow the language.
    assert answers["en"][1]["details"] == {"city": "City is required."}
    assert answers["ja"][1]["details"] == {"city": "市区町村を入力してください。"}
    assert set(answers["ne"][1]["details"]) == {"city"}


def test_validation_error_400_names_the_field(shop):
    def send(headers):
        body = checkout_body(shop, [(shop.general, 1)])
        body["tickets"][0]["quantity"] = "two"
        return shop.api.post("/api/mobile/events/checkout", json=body, headers=headers)

    messages = assert_translated(in_each_language(send), 400, "VALIDATION_ERROR")
    assert messages["en"] == "'tickets[0].quantity' must be an integer."
    assert messages["ja"] == "「tickets[0].quantity」は整数で指定してください。"
    assert "tickets[0].quantity" in messages["ne"]


def test_not_found_404(shop):
    messages = assert_translated(
        in_each_language(lambda h: shop.api.get("/api/products/987654", headers=h)),
        404,
        "PRODUCT_NOT_FOUND",
    )
    assert messages == {
        "en": "No such product.",
        "ja": "該当する商品はありません。",
        "ne": "त्यस्तो सामान छैन।",
    }


def test_werkzeug_404_for_an_unknown_api_path(client):
    assert_translated(
        in_each_language(lambda h: client.get("/api/no-such-thing", headers=h)),
        404,
        "NOT_FOUND",
    )


def test_conflict_409(shop, client):
    def send(headers):
        return client.post(
            "/api/auth/register",
            json={"email": shop.buyer.email, "password": PASSWORD, "name": "Again"},
            headers=headers,
        )

    assert_translated(in_each_language(send), 409, "EMAIL_TAKEN")


def test_unauthorized_401(client):
    messages = assert_translated(
        in_each_language(lambda h: client.get("/api/orders", headers=h)),
        401,
        "UNAUTHORIZED",
    )
    assert messages["ja"] == "認証が必要です。"


@pytest.fixture
def limited_client(base_app):
    from app import create_app
    from app.extensions import limiter

    app = create_app(
        {
            **{
                k: base_app.config[k]
                for k in ("SQLALCHEMY_DATABASE_URI", "MAIL_URL", "REDIS_CONNECTION")
            },
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    yield app.test_client()
    # One limiter state per extension object, shared by every app in the process.
    limiter.enabled = False
    limiter.reset()


def test_rate_limited_429(app, limited_client):
    body = {"email": "x@example.com", "password": "nope"}
    for _ in range(10):
        limited_client.post("/api/auth/token", json=body)
    messages = assert_translated(
        in_each_language(
            lambda h: limited_client.post("/api/auth/token", json=body, headers=h)
        ),
        429,
        "RATE_LIMITED",
    )
    assert (
        messages["ja"]
        == "リクエストが多すぎます。少し待ってからもう一度お試しください。"
    )


# --- /rpc: Connect errors ----------------------------------------------------------


@pytest.fixture
def merchant_key(factory, db):
    factory.payment_methods()
    raw, _key = create_merchant_key("Acme Books")
    db.session.commit()
    return raw


def rpc(client, method: str, body, key: str | None, headers: dict):
    auth = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post(f"{RPC}/{method}", json=body, headers={**auth, **headers})


def test_rpc_unauthenticated(client, merchant_key):
    messages = assert_translated(
        in_each_language(lambda h: rpc(client, "GetOrder", {}, None, h)),
        401,
        "unauthenticated",
    )
    assert "Authorization: Bearer <key>" in messages["ja"]


def test_rpc_validation_lists_each_field_in_the_language(client, merchant_key):
    body = {"customer_name": "Alice", "order_amount": -5}
    answers = in_each_language(
        lambda h: rpc(client, "CreateOrder", body, merchant_key, h)
    )
    assert_translated(answers, 400, "invalid_argument")
    violations = {
        lang: next(
            d["debug"]["fieldViolations"]
            for d in answers[lang][1]["details"]
            if d["type"] == "google.rpc.BadRequest"
        )
        for lang in LANGUAGES
    }
    fields = {lang: [v["field"] for v in violations[lang]] for lang in LANGUAGES}
    assert fields["en"] == fields["ja"] == fields["ne"]
    assert "customer_email" in fields["en"]
    ja = {v["field"]: v["description"] for v in violations["ja"]}
    assert ja["customer_email"] == "必須です"
    # The stable reason in ErrorInfo is the same in every language.
    reasons = {
        lang: answers[lang][1]["details"][0]["debug"]["reason"] for lang in LANGUAGES
    }
    assert set(reasons.values()) == {"VALIDATION_ERROR"}


def test_rpc_not_found(client, merchant_key):
    messages = assert_translated(
        in_each_language(
            lambda h: rpc(
                client, "GetOrder", {"order_id": "ord_0000000000"}, merchant_key, h
            )
        ),
        404,
        "not_found",
    )
    assert messages["ja"] == "該当する注文はありません。"

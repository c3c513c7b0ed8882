"""Issue #13: two input classes that answered 500, fuzzed over real HTTP.

Deeply nested JSON (any mix of arrays and objects, bare or inside a field) on
every JSON endpoint, anonymous or with a token; and numbers written in other
scripts' digits where the shop expects a number. Nothing may answer 500, and
every JSON answer under /api/ is a ResponseDto."""

from __future__ import annotations

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.test_openapi_fuzz import _is_dto
from tests.support.factories import PASSWORD

JSON_POSTS = [
    "/api/auth/token",
    "/api/auth/register",
    "/api/auth/password-reset",
    "/api/auth/password-reset/confirm",
    "/api/cart/items",
    "/api/orders/checkout",
    "/api/mobile/orders/checkout",
    "/api/mobile/events/checkout",
    "/api/mobile/training/enroll",
    "/api/booklets/checkout",
    "/api/orders/ORD-1/checkout",
    "/api/payments/redirect/1/failure",
    "/api/payments/webhooks/komoju",
    "/api/payments/webhooks/paysession",
    "/rpc/payment.v1.PaymentService/CreateOrder",
    "/rpc/payment.v1.PaymentService/GetOrder",
]

OPENERS = st.text(alphabet='[{"a":', min_size=1, max_size=4)


def nested(depth: int, opener: str) -> str:
    body = ""
    for i in range(depth):
        body += "[" if (i + len(opener)) % 3 else '{"k":'
    return f'{{"email": {body}1' if opener.startswith("{") else body + "1"


SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_nested_json_never_answers_500(shop, live_url):
    problems: list[str] = []

    @SETTINGS
    @given(
        path=st.sampled_from(JSON_POSTS),
        depth=st.integers(min_value=60, max_value=5000),
        opener=OPENERS,
        with_token=st.booleans(),
    )
    def run(path, depth, opener, with_token):
        headers = {"Content-Type": "application/json"}
        if with_token:
            headers["Authorization"] = f"Bearer {shop.api.token}"
        resp = requests.post(
            f"{live_url}{path}",
            data=nested(depth, opener),
            headers=headers,
            timeout=30,
        )
        where = f"{path} depth={depth} -> {resp.status_code}"
        if resp.status_code >= 500:
            problems.append(where)
        if depth > 66 and resp.status_code != 400:
            problems.append(f"{where}: not refused")
        if path.startswith("/api/") and not _is_dto(resp.json()):
            problems.append(f"{where}: not a ResponseDto")

    run()
    assert not problems, problems


UNICODE_NUMBERS = st.text(
    alphabet=st.characters(categories=["Nd", "No", "Nl"]) | st.sampled_from("09_+- "),
    min_size=1,
    max_size=6,
)


def test_unicode_numbers_never_answer_500(shop, live_url, factory):
    organizer = factory.user(email="org@example.com", role="organizer")
    event, types = factory.event(organizer, quantities=(10, 5), prices=(3000, 8000))
    staff = requests.Session()
    staff.post(
        f"{live_url}/login",
        data={"email": organizer.email, "password": PASSWORD},
        timeout=10,
    )
    problems: list[str] = []

    @SETTINGS
    @given(number=UNICODE_NUMBERS)
    def run(number):
        browser = requests.Session()
        answers = {
            "event quantity": browser.post(
                f"{live_url}/events/{event.id}/checkout",
                data={
                    f"qty-{types[0].id}": number,
                    "customer_name": "A",
                    "customer_email": "a@example.com",
                    "method": "komoju_konbini",
                },
                timeout=30,
            ),
            "cart add": browser.post(
                f"{live_url}/cart/add", data={"product_id": number}, timeout=30
            ),
            "order search": staff.get(
                f"{live_url}/organizer/events/{event.id}/orders",
                params={"q": number},
                timeout=30,
            ),
            "order csv": staff.get(
                f"{live_url}/organizer/events/{event.id}/orders.csv",
                params={"q": "#" + number},
                timeout=30,
            ),
            "webhook timestamp": requests.post(
                f"{live_url}/api/payments/webhooks/paysession",
                data=b"{}",
                headers={
                    # a header value travels as latin-1 and without edge spaces
                    "x-webhook-timestamp": number.strip().encode().decode("latin-1")
                    or "0",
                    "x-webhook-signature": "x",
                    "Content-Type": "application/json",
                },
                timeout=30,
            ),
        }
        for name, resp in answers.items():
            if resp.status_code >= 500:
                problems.append(f"{name} {number!r} -> {resp.status_code}")

    run()
    assert not problems, problems

"""The mixed load: customers and a merchant system driving the shop over HTTP.

Each flow is what a real client does, including the untidy parts: a browser that
returns twice at once, a stale failure return arriving before the success one, a
customer who pays and never comes back, a retried checkout with the same
Idempotency-Key. A flow never asserts: it records an outcome per operation
(`ok`, `refused` for a 4xx the shop meant, `unavailable` for a 503 or a timeout
while a fault is on) and every HTTP 500 it saw; the ledger audit judges the end
state.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from soak import gateways as gw
from soak.gateways import TIMEOUT


class Refused(Exception):
    """The shop said no (a 4xx): sold out, cohort full, promotion used up."""


class Unavailable(Exception):
    """A 5xx other than 500, or no answer: expected while a fault is on."""


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.ops: Counter = Counter()  # (flow, outcome) -> n
        self.http_500: list[str] = []
        self.reasons: Counter = Counter()  # (flow step, status, error code) -> n

    def add(self, flow: str, outcome: str) -> None:
        with self.lock:
            self.ops[(flow, outcome)] += 1

    def why(self, what: str, resp: requests.Response) -> None:
        try:
            code = (resp.json().get("error") or {}).get("code", "")
        except (ValueError, AttributeError):
            code = ""
        with self.lock:
            self.reasons[(what, resp.status_code, code)] += 1

    def saw_500(self, what: str) -> None:
        with self.lock:
            self.http_500.append(what)


class Shop:
    """HTTP helpers that turn answers into outcomes."""

    def __init__(self, stack, stats: Stats, tokens: list[str], fixtures: dict):
        self.url = stack.shop_url
        self.sandbox = stack.sandbox
        self.stats = stats
        self.tokens = iter(tokens)
        self.token_lock = threading.Lock()
        self.fx = fixtures
        self.local = threading.local()

    @property
    def http(self) -> requests.Session:
        if not hasattr(self.local, "http"):
            self.local.http = requests.Session()
        return self.local.http

    def next_token(self) -> str:
        with self.token_lock:
            return next(self.tokens)

    def check(self, resp: requests.Response, what: str) -> requests.Response:
        if resp.status_code == 500:
            self.stats.saw_500(f"{what}: {resp.text[:200]}")
            raise Unavailable(what)
        if resp.status_code >= 400:
            self.stats.why(what, resp)
        if resp.status_code >= 500:
            raise Unavailable(what)
        if resp.status_code >= 400:
            raise Refused(f"{what} {resp.status_code}")
        return resp

    def call(self, method: str, path: str, what: str, **kw) -> requests.Response:
        kw.setdefault("timeout", TIMEOUT)
        try:
            resp = self.http.request(method, self.url + path, **kw)
        except requests.RequestException as exc:
            with self.stats.lock:
                self.stats.reasons[(what, 0, type(exc).__name__)] += 1
            raise Unavailable(what) from exc
        return self.check(resp, what)

    def start(self, path: str, body: dict, token: str, what: str) -> dict:
        """A payment-starting POST; sometimes sent twice with one Idempotency-Key
        (a client retrying after a lost answer) - both must name one order."""
        headers = {
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        first = self.call("POST", path, what, json=body, headers=headers).json()["data"]
        if random.random() < 0.15:
            again = self.call("POST", path, what, json=body, headers=headers)
            if again.json()["data"]["orderId"] != first["orderId"]:
                self.stats.add(what, "idempotency_broken")
        return first

    def come_back(self, location: str, what: str) -> None:
        """The browser returns from the gateway: once, twice at the same time, or
        after a stale failure return for the same payment; sometimes never."""
        roll = random.random()
        if roll < 0.05:
            return  # paid and closed the tab: the shop must find out by itself
        path = gw.path_of(location)
        if roll < 0.20:
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda _: self._get(path, what), range(2)))
            return
        if roll < 0.30 and "/success" in path:
            self._get(path.split("?")[0].replace("/success", "/failure"), what)
        self._get(path, what)

    def _get(self, path: str, what: str) -> None:
        try:
            resp = self.http.get(
                self.url + path, allow_redirects=False, timeout=TIMEOUT
            )
        except requests.RequestException:
            return  # the browser gave up; the reconciliation must not
        if resp.status_code == 500:
            self.stats.saw_500(f"{what} return: {resp.text[:200]}")


# --- the flows ------------------------------------------------------------------


def cart_esewa(shop: Shop) -> None:
    """Two digital products already in the cart (bench data), sometimes with a
    promotion that has few uses left."""
    body = {"gateway": "esewa"}
    if random.random() < 0.3:
        body["promoCode"] = shop.fx["promo_code"]
    init = shop.start("/api/orders/checkout", body, shop.next_token(), "cart")
    pay_esewa(shop, init, "cart")


def enroll(shop: Shop) -> None:
    cohort = random.choice(shop.fx["cohorts"])
    body = {
        "productId": shop.fx["training_id"],
        "cohortId": cohort["id"],
        "sessionId": cohort["session_id"],
        "gateway": "esewa",
        "formData": {
            "name": "Soak Trainee",
            "email": "trainee@example.com",
            "phone": "+9779800000000",
        },
    }
    init = shop.start("/api/mobile/training/enroll", body, shop.next_token(), "enroll")
    pay_esewa(shop, init, "enroll")


def booklet(shop: Shop) -> None:
    body = {
        "productId": shop.fx["booklet_id"],
        "quantity": random.choice((1, 1, 2)),
        "gateway": "esewa",
        "shippingAddress": {
            "name": "Soak Reader",
            "line1": "Thamel Marg 1",
            "city": "Kathmandu",
            "postcode": "44600",
            "country": "NP",
            "phone": "+9779800000000",
        },
    }
    init = shop.start("/api/booklets/checkout", body, shop.next_token(), "booklet")
    pay_esewa(shop, init, "booklet")


def pay_esewa(shop: Shop, init: dict, what: str) -> None:
    try:
        location = gw.esewa_pay(shop.http, shop.sandbox, init, gw.outcome())
    except (requests.RequestException, RuntimeError) as exc:
        raise Unavailable(f"{what} at eSewa") from exc
    shop.come_back(location, what)


def tickets(shop: Shop, kind: str) -> None:
    lines = []
    for ticket_type in random.sample(shop.fx["ticket_types"], random.choice((1, 1, 2))):
        n = random.choice((1, 1, 2))
        people = [{"name": f"Guest {i}", "email": f"g{i}@soak.test"} for i in range(n)]
        lines.append({"ticketTypeId": ticket_type, "quantity": n, "attendees": people})
    body = {"eventId": shop.fx["event_id"], "tickets": lines, "paymentType": kind}
    what = f"tickets_{'card' if kind == 'credit_card' else 'konbini'}"
    init = shop.start("/api/mobile/events/checkout", body, shop.next_token(), what)
    sid = init["gatewayTransactionId"]
    try:
        location = gw.komoju_complete(shop.http, shop.sandbox, sid, kind)
        if kind == "konbini":
            shop.come_back(location, what)  # the slip is issued: the order is on hold
            if random.random() < 0.1:
                return  # never paid at the store; the slip runs out
            gw.komoju_pay_at_store(shop.http, shop.sandbox, sid)
            return  # the capture arrives as a webhook
    except (requests.RequestException, RuntimeError) as exc:
        raise Unavailable(f"{what} at KOMOJU") from exc
    shop.come_back(location, what)


def rpc_order(shop: Shop) -> None:
    """A merchant system creates an order; its customer pays on the hosted page."""
    body = {
        "customer_name": "Soak Merchant Customer",
        "customer_email": f"m{uuid.uuid4().hex[:8]}@soak.test",
        "customer_phone": "9999999999",
        "order_amount": random.choice((199.0, 299.99, 1250.5)),
    }
    headers = {"Authorization": f"Bearer {shop.fx['merchant_key']}"}
    path = "/rpc/payment.v1.PaymentService/CreateOrder"
    data = shop.call("POST", path, "rpc", json=body, headers=headers).json()
    try:
        outcome = "failed" if gw.outcome() == "failure" else "success"
        location = gw.paysession_pay(
            shop.http, shop.sandbox, data["payment_session_id"], outcome
        )
    except (requests.RequestException, RuntimeError) as exc:
        raise Unavailable("rpc at the gateway") from exc
    shop.come_back(location, "rpc")
    if random.random() < 0.5:
        shop.call(
            "POST",
            "/rpc/payment.v1.PaymentService/VerifyPayment",
            "rpc",
            json={"order_id": data["order_id"]},
            headers=headers,
        )


FLOWS = {
    "cart": (cart_esewa, 30),
    "enroll": (enroll, 12),
    "booklet": (booklet, 12),
    "tickets_card": (lambda shop: tickets(shop, "credit_card"), 13),
    "tickets_konbini": (lambda shop: tickets(shop, "konbini"), 12),
    "rpc": (rpc_order, 15),
}


def run_one(shop: Shop) -> None:
    names = list(FLOWS)
    name = random.choices(names, weights=[FLOWS[n][1] for n in names])[0]
    flow = FLOWS[name][0]
    try:
        flow(shop)
        shop.stats.add(name, "ok")
    except Refused:
        shop.stats.add(name, "refused")
    except (Unavailable, requests.RequestException, KeyError, ValueError) as exc:
        shop.stats.add(name, "unavailable")
        with shop.stats.lock:
            shop.stats.reasons[(name, "-", repr(exc.__cause__ or exc)[:90])] += 1

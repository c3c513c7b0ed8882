"""Fixtures and helpers for event tickets through the KOMOJU sandbox.

Everything goes over real HTTP: the adapter calls the sandbox on the live server,
the sandbox's hosted-page buttons are plain form posts, and its webhooks are RQ
jobs that POST to our webhook endpoint on the live server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from tests.support.factories import PASSWORD
from tests.support.komoju import (
    WEBHOOK_SECRET,
    cancel_slip,
)


class Shop:
    pass


@pytest.fixture
def shop(factory, api):
    """Payment methods, an event with two JPY ticket types, a buyer with a token."""
    factory.payment_methods()
    organizer = factory.user(email="organizer@example.com", role="organizer")
    event, types = factory.event(organizer, quantities=(100, 10), prices=(3000, 8000))
    buyer = factory.user(email="buyer@example.com", name="Hanako Yamada")
    api.login(buyer.email, PASSWORD)
    s = Shop()
    s.api, s.event, s.types, s.buyer, s.organizer = api, event, types, buyer, organizer
    s.general, s.vip = types
    return s


def attendees(n: int, prefix: str = "guest") -> list[dict]:
    return [
        {"name": f"Attendee {prefix} {i + 1}", "email": f"{prefix}{i + 1}@example.com"}
        for i in range(n)
    ]


def checkout_body(shop, lines, payment_type="konbini", **extra) -> dict:
    body = {
        "eventId": shop.event.id,
        "tickets": [
            {"ticketTypeId": t.id, "quantity": n, "attendees": attendees(n, f"t{t.id}")}
            for t, n in lines
        ],
        "paymentType": payment_type,
    }
    body.update(extra)
    return body


def checkout(shop, lines, payment_type="konbini", key=None, **extra):
    headers = {"Idempotency-Key": key} if key else None
    return shop.api.post(
        "/api/mobile/events/checkout",
        json=checkout_body(shop, lines, payment_type, **extra),
        headers=headers,
    )


def init(shop, lines, payment_type="konbini", **extra) -> dict:
    resp = checkout(shop, lines, payment_type, **extra)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["data"]


def session_id_of(data: dict) -> str:
    return data["gatewayTransactionId"]


def follow_return(url: str, accept_html: bool = True) -> requests.Response:
    headers = {"Accept": "text/html"} if accept_html else {}
    return requests.get(url, allow_redirects=False, timeout=10, headers=headers)


def cancel_at_store(redis_client, live_url, sid) -> dict:
    """KOMOJU cancels an authorized konbini payment (the customer cancelled it):
    the sandbox's own cancel action, over HTTP; it queues a signed
    payment.cancelled webhook like the real one."""
    return cancel_slip(live_url, sid)


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event_body(event_type: str, payment: dict, event_id: str | None = None) -> bytes:
    envelope = {
        "id": event_id or f"evt_{secrets.token_hex(10)}",
        "type": event_type,
        "resource": "event",
        "data": payment,
        "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "reason": None,
    }
    return json.dumps(envelope, separators=(",", ":")).encode()


def post_webhook(live_url, body: bytes, signature: str | None = "sign", **headers):
    sent = {"Content-Type": "application/json", "User-Agent": "Komoju-Webhook"}
    if signature == "sign":
        sent["X-Komoju-Signature"] = sign(body)
    elif signature is not None:
        sent["X-Komoju-Signature"] = signature
    sent.update(headers)
    return requests.post(
        f"{live_url}/api/payments/webhooks/komoju", data=body, headers=sent, timeout=30
    )


def redirect_query(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def count(db, stmt_or_model) -> int:
    db.session.rollback()  # see what the live server and the jobs committed
    if hasattr(stmt_or_model, "__table__"):
        stmt_or_model = select(func.count()).select_from(stmt_or_model)
    return db.session.scalar(stmt_or_model)


# --- running jobs in a chosen order ---------------------------------------------


def _drain(jobs, names: list[str], rounds: int = 5) -> None:
    from rq import Queue, SimpleWorker

    from app.extensions import db

    db.session.rollback()
    for _ in range(rounds):
        queues = [Queue(n, connection=jobs.connection) for n in names]
        if not any(q.count for q in queues):
            break
        SimpleWorker(queues, connection=jobs.connection).work(
            burst=True, with_scheduler=False
        )
    db.session.rollback()


def run_ours(jobs) -> None:
    """Our outbox jobs (verification, email), not the sandbox's webhook deliveries."""
    from app.jobs import QUEUE_NAMES

    _drain(jobs, [n for n in QUEUE_NAMES if n != "sandbox"])


def deliver_webhooks(jobs) -> None:
    """Let the sandbox deliver the webhooks it queued (nothing else runs)."""
    _drain(jobs, ["sandbox"], rounds=1)


def drop_webhooks(jobs) -> int:
    """Throw away the webhooks the sandbox queued (a lost delivery)."""
    from rq import Queue

    queue = Queue("sandbox", connection=jobs.connection)
    n = queue.count
    queue.empty()
    return n


# --- the event page, as a browser without JavaScript would use it ------------------

TOKEN_RE = re.compile(r'name="form_token"[^>]*value="([^"]+)"')


class WebOrder:
    """What a page checkout produced: the order's ids and the hosted page."""

    def __init__(self, public_id, key, payment_id, session_id, session_url, browser):
        self.browser = browser  # the requests.Session that placed the order
        self.public_id = public_id
        self.key = key
        self.payment_id = payment_id
        self.session_id = session_id
        self.session_url = session_url


def form_token(browser: requests.Session, live_url: str, event_id: int) -> str:
    page = browser.get(f"{live_url}/events/{event_id}", timeout=10)
    assert page.status_code == 200, page.text
    return TOKEN_RE.search(page.text).group(1)


def ticket_form(
    lines,
    method="komoju_konbini",
    name="Guest Buyer",
    email="guest@example.com",
    prefix="web",
) -> dict:
    form = {
        "customer_name": name,
        "customer_email": email,
        "customer_phone": "",
        "method": method,
    }
    for ticket_type, n in lines:
        form[f"qty-{ticket_type.id}"] = str(n)
        for i, person in enumerate(attendees(n, f"{prefix}{ticket_type.id}-")):
            form[f"attendee-{ticket_type.id}-{i}-name"] = person["name"]
            form[f"attendee-{ticket_type.id}-{i}-email"] = person["email"]
    return form


def post_ticket_form(browser, live_url, event_id, form) -> requests.Response:
    form = {**form, "form_token": form_token(browser, live_url, event_id)}
    return browser.post(
        f"{live_url}/events/{event_id}/checkout",
        data=form,
        allow_redirects=False,
        timeout=30,
    )


def web_checkout(
    live_url, event_id, lines, method="komoju_konbini", browser=None, **kw
) -> WebOrder:
    browser = browser or requests.Session()
    resp = post_ticket_form(
        browser, live_url, event_id, ticket_form(lines, method, **kw)
    )
    assert resp.status_code == 302, resp.text
    handoff = resp.headers["Location"]
    match = re.search(r"/payments/(\d+)/handoff\?key=([^&]+)", handoff)
    assert match, handoff
    hosted = browser.get(
        handoff if handoff.startswith("http") else f"{live_url}{handoff}",
        allow_redirects=False,
        timeout=10,
    )
    assert hosted.status_code == 302
    session_url = hosted.headers["Location"]
    from app.extensions import db
    from app.payments.models import Payment

    db.session.rollback()
    payment = db.session.get(Payment, int(match.group(1)))
    return WebOrder(
        payment.order.public_id,
        match.group(2),
        payment.id,
        session_url.rsplit("/", 1)[1],
        session_url,
        browser,
    )


def absolute(live_url: str, location: str) -> str:
    return location if location.startswith("http") else f"{live_url}{location}"

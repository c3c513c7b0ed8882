"""Webhooks to the merchant's `order_meta.notify_url` (seed 002).

When a payment-service order is paid, or its attempt fails or the order lapses
unpaid, the merchant is told the way the payment-session gateway tells us:
`POST notify_url` with `{"type": "PAYMENT_SUCCESS_WEBHOOK" |
"PAYMENT_FAILED_WEBHOOK", "data": {"order": <seed Order>, "payment": <seed
Payment>}}`, signed `x-webhook-signature = base64(HMAC-SHA256(key,
x-webhook-timestamp + raw body))` with the merchant's API key.

The body is fixed when the state is reached (in that transaction, with its
outbox event), so every retry sends the same bytes with a fresh timestamp.
Delivery runs from the outbox until the merchant answers 2xx (a redirect is
not an answer), backing off by `MERCHANT_WEBHOOK_BACKOFF`; each attempt is
logged (the merchant sees the log in GetOrder, admins in the back office),
and an exhausted notification can be sent again by an admin.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import socket
import time
from urllib.parse import urlsplit

import requests
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.merchant_keys import signing_key
from app.accounts.models import MerchantKey
from app.conditional import guarded_update
from app.db import utcnow
from app.extensions import db
from app.orders.models import Order
from app.outbox.services import emit
from app.payments.models import Payment
from app.rpc.models import MerchantNotification, NotificationAttempt
from app.rpc.serializers import order_message, payment_message
from app.rpc.states import NOTIFICATION_LIFECYCLE, NotificationStatus
from app.rpc.states import NotificationType as Type

API_VERSION = "2023-08-01"
TIMEOUT_SECONDS = 10
EXCERPT = 300


def sign(key: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(key.encode(), timestamp.encode() + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def _transition(notification_id: int, event: str, **values) -> bool:
    return guarded_update(
        MerchantNotification,
        notification_id,
        MerchantNotification.status.in_(NOTIFICATION_LIFECYCLE.sources(event)),
        status=NOTIFICATION_LIFECYCLE.target(event),
        **values,
    )


def notify_merchant(order: Order, payment: Payment | None, event_type: Type) -> None:
    """Owe the merchant one webhook about `payment` (once per attempt and type),
    delivered after the caller commits."""
    if not order.notify_url or order.merchant_key_id is None:
        return
    dedupe = f"{order.id}-{payment.id if payment else 0}-{event_type}"
    if db.session.scalar(
        select(MerchantNotification.id).where(MerchantNotification.dedupe_key == dedupe)
    ):
        return
    body = {
        "type": str(event_type),
        "data": {
            "order": order_message(order),
            "payment": payment_message(payment) if payment else None,
        },
    }
    notification = MerchantNotification(
        order_id=order.id,
        payment_id=payment.id if payment else None,
        dedupe_key=dedupe,
        event_type=str(event_type),
        url=order.notify_url,
        body=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status=NotificationStatus.PENDING,
    )
    try:
        with db.session.begin_nested():
            db.session.add(notification)
            db.session.flush()
    except IntegrityError:
        return  # a concurrent transition owes the same webhook
    _book(notification, "0")


def _book(notification: MerchantNotification, tag: str, at=None) -> None:
    emit(
        "merchant.notify",
        {"notification_id": notification.id},
        available_at=at,
        dedupe_key=f"merchant-notify-{notification.id}-{tag}",
    )


def target_problem(url: str, production: bool) -> str | None:
    """Why we will not POST to `url` (None: we will). Outside production any
    http(s) URL is fine (a listener on 127.0.0.1 in a test); in production only
    https to a public address, so a merchant cannot point us inward."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "notify_url is not an http(s) URL"
    if not production:
        return None
    if parts.scheme != "https":
        return "notify_url must be https"
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443)
    except OSError:
        return f"cannot resolve {parts.hostname}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return f"{parts.hostname} is not a public address"
    return None


def _log(notification, attempt, status, error, excerpt, started) -> None:
    db.session.add(
        NotificationAttempt(
            notification_id=notification.id,
            attempt=attempt,
            status_code=status,
            error=error[:300],
            response_excerpt=excerpt[:EXCERPT],
            duration_ms=int((time.monotonic() - started) * 1000),
        )
    )


def deliver(notification_id: int) -> str:
    """`merchant.notify`: one POST; book the next one unless the merchant said 2xx."""
    notification = db.session.get(MerchantNotification, notification_id)
    if notification is None or notification.status != NotificationStatus.PENDING:
        return "nothing-to-do"
    attempt = notification.attempts + 1
    started = time.monotonic()
    order = db.session.get(Order, notification.order_id)
    merchant = db.session.get(MerchantKey, order.merchant_key_id)
    key = signing_key(merchant) if merchant is not None else None
    production = current_app.config["APP_ENV"] == "production"
    problem = target_problem(notification.url, production)
    status, error, excerpt = None, "", ""
    if key is None:
        error = "no signing key for this merchant: issue a new API key"
    elif problem:
        error = problem
    else:
        raw = notification.body.encode()
        timestamp = str(int(time.time() * 1000))
        try:
            resp = requests.post(
                notification.url,
                data=raw,
                headers={
                    "content-type": "application/json",
                    "x-webhook-timestamp": timestamp,
                    "x-webhook-signature": sign(key, timestamp, raw),
                    "x-webhook-version": API_VERSION,
                    "x-webhook-attempt": str(attempt),
                    "x-idempotency-key": notification.dedupe_key,
                },
                timeout=TIMEOUT_SECONDS,
                allow_redirects=False,
            )
            status, excerpt = resp.status_code, resp.text[:EXCERPT]
        except requests.RequestException as exc:
            error = f"{exc.__class__.__name__}: {exc}"
    _log(notification, attempt, status, error, excerpt, started)
    guarded_update(
        MerchantNotification, notification.id, attempts=attempt, next_attempt_at=None
    )
    if status is not None and 200 <= status < 300:
        _transition(notification.id, "deliver", delivered_at=utcnow())
        return "delivered"
    backoff = current_app.config["MERCHANT_WEBHOOK_BACKOFF"]
    if key is None or attempt > len(backoff):
        _transition(notification.id, "give_up")
        return "exhausted"
    due = utcnow() + dt.timedelta(seconds=backoff[attempt - 1])
    guarded_update(MerchantNotification, notification.id, next_attempt_at=due)
    _book(notification, str(attempt), due)
    return "retry"


def resend(notification_id: int) -> bool:
    """An admin sends an exhausted notification again (a new round of tries)."""
    notification = db.session.get(MerchantNotification, notification_id)
    if notification is None or not _transition(notification.id, "resend"):
        return False
    _book(notification, f"resend-{utcnow():%Y%m%d%H%M%S%f}")
    return True

"""The two ceilings `make bench` measures the real endpoints against.

Mounted only when the environment says `BENCH_ENDPOINTS=1` (see
`app.composition.wire`); never in a normal run.

- `GET /_bench/bare`: a tiny JSON answer, the app server's own limit (gunicorn,
  Flask routing, the after-request hooks every response goes through).
- `POST /_bench/checkout`: the database-bound limit of a checkout. Plain psycopg,
  no ORM, one transaction per request doing only what a checkout must: find the
  bearer token's user, read the cart, insert the order, its items, the payment
  with its signed eSewa form, the auto-cancel outbox event and the idempotency
  record, commit. The rows have the same columns the real tables need.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
import time

import psycopg
from flask import Blueprint, current_app, jsonify, request

bp = Blueprint("bench", __name__)

_local = threading.local()

SIGNED_FIELDS = "total_amount,transaction_uuid,product_code"

TOKEN_SQL = """
SELECT u.id, u.name, u.email, u.phone
FROM api_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = %s AND t.revoked_at IS NULL
"""
CART_SQL = """
SELECT p.id, p.title, p.type, p.price, p.currency, ci.quantity
FROM carts c
JOIN cart_items ci ON ci.cart_id = c.id
JOIN products p ON p.id = ci.product_id
WHERE c.user_id = %s AND p.active
ORDER BY ci.id
"""
IDS_SQL = "SELECT nextval('orders_id_seq'), nextval('payments_id_seq')"
ORDER_SQL = """
INSERT INTO orders (id, public_id, user_id, kind, status, subtotal, discount,
  total, currency, customer_name, customer_email, customer_phone, allowed_methods,
  note, tags, expires_at, order_key, needs_refund, cancel_reason, created_at,
  updated_at)
VALUES (%s, %s, %s, 'cart', 'payment_pending', %s, 0, %s, %s, %s, %s, %s, '', '',
  '{}', %s, %s, false, '', %s, %s)
"""
ITEM_SQL = """
INSERT INTO order_items (order_id, product_id, title, product_type, unit_price,
  quantity, line_total, attendees)
VALUES (%s, %s, %s, %s, %s, %s, %s, '[]')
"""
PAYMENT_SQL = """
INSERT INTO payments (id, order_id, gateway, method, amount, currency, status,
  gateway_txn_id, next_step, initiation_type, payload, error_details, message,
  verified, verify_attempts, created_at, updated_at)
VALUES (%s, %s, 'esewa', 'esewa', %s, %s, 'pending', %s, %s, 'form_post', %s, '{}',
  '', false, 0, %s, %s)
"""
OUTBOX_SQL = """
INSERT INTO outbox_events (topic, payload, dedupe_key, status, attempts,
  available_at, last_error, created_at, updated_at)
VALUES ('order.auto_cancel', %s, %s, 'pending', 0, %s, '', %s, %s)
"""
IDEMPOTENCY_SQL = """
INSERT INTO idempotency_keys (owner, scope, key, fingerprint, status_code,
  response, created_at)
VALUES (%s, 'bench.checkout', %s, %s, 200, %s, %s)
"""


def _connection() -> psycopg.Connection:
    """One connection per server thread, opened on first use and kept."""
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        url = current_app.config["SQLALCHEMY_DATABASE_URI"]
        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        _local.conn = conn
    return conn


def _amount(minor: int) -> str:
    whole, frac = divmod(int(minor), 100)
    return f"{whole}.{frac:02d}"


def _sign(secret: str, fields: dict[str, str]) -> str:
    message = ",".join(f"{n}={fields[n]}" for n in SIGNED_FIELDS.split(","))
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _fail(code: str, status: int):
    body = {"success": False, "data": None, "error": {"code": code}}
    return jsonify(body), status


@bp.get("/bare")
def bare():
    return jsonify({"success": True, "data": {"ok": True}, "error": None})


@bp.post("/checkout")
def checkout():
    raw = request.get_data()
    body = json.loads(raw or b"{}")
    if body.get("gateway") != "esewa":
        return _fail("METHOD_NOT_AVAILABLE", 400)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    key = request.headers.get("Idempotency-Key", "")
    if scheme.lower() != "bearer" or not token or not key:
        return _fail("UNAUTHORIZED", 401)
    cfg = current_app.config
    base = cfg["PUBLIC_BASE_URL"]
    conn = _connection()
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(TOKEN_SQL, (hashlib.sha256(token.encode()).hexdigest(),))
        user = cur.fetchone()
        if user is None:
            return _fail("UNAUTHORIZED", 401)
        user_id, name, email, phone = user
        cur.execute(CART_SQL, (user_id,))
        lines = cur.fetchall()
        if not lines:
            return _fail("EMPTY_CART", 400)
        cur.execute(IDS_SQL)
        order_id, payment_id = cur.fetchone()
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        expires = now + dt.timedelta(minutes=cfg["ORDER_TIMEOUT_MINUTES"])
        currency = lines[0][4]
        total = sum(price * qty for _id, _t, _ty, price, _c, qty in lines)
        cur.execute(
            ORDER_SQL,
            (
                order_id,
                "ord_" + secrets.token_hex(8),
                user_id,
                total,
                total,
                currency,
                name,
                email,
                phone,
                expires,
                secrets.token_urlsafe(32),
                now,
                now,
            ),
        )
        cur.executemany(
            ITEM_SQL,
            [
                (order_id, pid, title, ptype, price, qty, price * qty)
                for pid, title, ptype, price, _c, qty in lines
            ],
        )
        uuid = f"{payment_id}-{int(time.time() * 1000)}"
        amount = _amount(total)
        payload = {
            "amount": amount,
            "tax_amount": "0.00",
            "total_amount": amount,
            "transaction_uuid": uuid,
            "product_code": cfg["ESEWA_PRODUCT_CODE"],
            "product_service_charge": "0.00",
            "product_delivery_charge": "0.00",
            "success_url": f"{base}/api/payments/redirect/{payment_id}/success",
            "failure_url": f"{base}/api/payments/redirect/{payment_id}/failure",
            "signed_field_names": SIGNED_FIELDS,
        }
        payload["signature"] = _sign(cfg["ESEWA_SECRET_KEY"], payload)
        form_url = f"{base}/_sandbox/esewa/api/epay/main/v2/form"
        cur.execute(
            PAYMENT_SQL,
            (
                payment_id,
                order_id,
                total,
                currency,
                uuid,
                form_url,
                json.dumps(payload),
                now,
                now,
            ),
        )
        cur.execute(
            OUTBOX_SQL,
            (
                json.dumps({"order_id": order_id}),
                f"auto-cancel-{order_id}-{expires:%Y%m%d%H%M%S}",
                expires,
                now,
                now,
            ),
        )
        data = {
            "orderId": order_id,
            "status": "payment_pending",
            "paymentId": payment_id,
            "gatewayTransactionId": uuid,
            "initiationType": "form_post",
            "redirectUrl": form_url,
            "gatewayPayload": payload,
        }
        fingerprint = hashlib.sha256(raw).hexdigest()
        cur.execute(
            IDEMPOTENCY_SQL,
            (f"user:{user_id}", key, fingerprint, json.dumps(data), now),
        )
    return jsonify({"success": True, "data": data, "error": None})

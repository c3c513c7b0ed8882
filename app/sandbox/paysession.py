"""Payment-session gateway sandbox: a Cashfree PG (2023-08-01) look-alike.

The storefront cannot reach the real gateway, so this blueprint plays it on
loopback: an orders API under `/pg`, a hosted checkout page keyed by
`payment_session_id`, and signed webhooks delivered by an RQ job with the
gateway's retry shape. Fault modes let tests and demos see a gateway that is
down (`fail`) or slow (`hang`). Protocol facts: shared/gateways.md section 3.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import re
import secrets
import time
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import requests
from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from rq import Retry, get_current_job
from werkzeug.exceptions import HTTPException

from app.extensions import csrf
from app.jobs import get_queue, in_app_context
from app.sandbox import paysession_store as store

bp = Blueprint("sandbox_paysession", __name__)
pg = Blueprint("pg", __name__)
csrf.exempt(bp)
csrf.exempt(pg)  # nested blueprints are looked up by their own name

DEFAULT_CLIENT_ID = "cf_test_client"
DEFAULT_CLIENT_SECRET = "cfsk_demo_secret"
DEFAULT_EXPIRY_DAYS = 30
MAX_AMOUNT = Decimal("1000000000")
CENT = Decimal("0.01")

# The real schedule is 2, 10 and 30 minutes (§3.7); seconds keep demos moving.
WEBHOOK_RETRY = Retry(max=3, interval=[2, 10, 30])
WEBHOOK_TIMEOUT_SECONDS = 10

ID_RE = re.compile(r"[A-Za-z0-9_-]+")
DIGITS_RE = re.compile(r"[0-9]+")
CURRENCY_RE = re.compile(r"[A-Z]{3}")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+")
PLACEHOLDER_RE = re.compile(r"\{order_id\}|%7Border_id%7D", re.IGNORECASE)
PAYMENT_METHODS = frozenset(
    {"cc", "dc", "ccc", "ppc", "nb", "upi", "paypal", "app", "paylater"}
    | {"cardlessemi", "dcemi", "ccemi", "banktransfer"}
)

OUTCOMES = {"success": "SUCCESS", "failed": "FAILED", "dropped": "USER_DROPPED"}
MESSAGES = {
    "SUCCESS": "Transaction successful",
    "FAILED": "Transaction declined by the issuer",
    "USER_DROPPED": "User dropped out of the payment flow",
}
ERRORS: dict[str, dict | None] = {
    "SUCCESS": None,
    "FAILED": {
        "error_code": "TRANSACTION_DECLINED",
        "error_description": "issuer bank or payment service provider declined "
        "the transaction",
        "error_reason": "auth_declined",
        "error_source": "customer",
        "error_code_raw": "ZM",
        "error_description_raw": "transaction declined",
    },
    "USER_DROPPED": {
        "error_code": "USER_DROPPED",
        "error_description": "user dropped and did not complete the payment",
        "error_reason": "user_dropped",
        "error_source": "customer",
        "error_code_raw": None,
        "error_description_raw": None,
    },
}


class ApiProblem(Exception):
    """An API refusal; always answered as the gateway's `{message, code, type}`."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str,
        kind: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.kind = status, message, code, kind


class PageProblem(Exception):
    """A hosted-page refusal; shown to the shopper as a page, not JSON."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


class WebhookNotDelivered(RuntimeError):
    """Raised by the delivery job so RQ schedules the next retry."""


# --- responses ----------------------------------------------------------------


def json_response(payload: Any, status: int = 200) -> Response:
    """Serialize with our own encoder so amounts keep their two decimals."""
    return Response(store.dumps(payload), status, mimetype="application/json")


def error_body(message: str, code: str, kind: str) -> dict:
    return {"message": message, "code": code, "type": kind}


@pg.errorhandler(ApiProblem)
def _api_problem(exc: ApiProblem) -> Response:
    return json_response(error_body(exc.message, exc.code, exc.kind), exc.status)


@pg.errorhandler(HTTPException)
def _api_http_error(exc: HTTPException) -> Response:
    """Keep even framework errors (413, 405, ...) in the gateway's error shape."""
    status = exc.code or 400
    message = exc.description or "request failed"
    body = error_body(message, "request_invalid", "invalid_request_error")
    return json_response(body, status)


@bp.errorhandler(PageProblem)
def _page_problem(exc: PageProblem) -> tuple[str, int]:
    page = render_template(
        "sandbox/paysession_message.html", title=exc.title, message=exc.message
    )
    return page, exc.status


# --- gate: fault mode, credentials, API version -------------------------------


@pg.before_request
def _gate() -> None:
    """Every API call passes the fault mode first (a down gateway checks nothing),
    then the credentials, then the version header."""
    apply_fault_mode()
    authenticate()
    require_version()


def apply_fault_mode() -> None:
    mode = store.get_mode()
    if mode == "fail":
        raise ApiProblem(503, "service unavailable", "api_error", "api_error")
    if mode == "hang":
        time.sleep(float(current_app.config.get("SANDBOX_HANG_SECONDS", 30)))


def credentials() -> tuple[str, str]:
    """Config values, falling back to the published sandbox pair so the sandbox
    is never open to an empty secret."""
    cfg = current_app.config
    return (
        cfg.get("PAYSESSION_CLIENT_ID") or DEFAULT_CLIENT_ID,
        cfg.get("PAYSESSION_CLIENT_SECRET") or DEFAULT_CLIENT_SECRET,
    )


def authenticate() -> None:
    client_id, secret = credentials()
    given_id = request.headers.get("x-client-id", "")
    given_secret = request.headers.get("x-client-secret", "")
    id_ok = hmac.compare_digest(given_id.encode(), client_id.encode())
    secret_ok = hmac.compare_digest(given_secret.encode(), secret.encode())
    if not (id_ok and secret_ok):
        raise ApiProblem(
            401, "authentication Failed", "request_failed", "authentication_error"
        )


def require_version() -> None:
    version = request.headers.get("x-api-version")
    if not version:
        raise ApiProblem(
            400, "x-api-version : is missing in the request", "api_version_missing"
        )
    if version != store.API_VERSION:
        raise ApiProblem(
            400,
            f"x-api-version : {version} is not supported by this sandbox "
            f"(use {store.API_VERSION})",
            "api_version_invalid",
        )


# --- request validation -------------------------------------------------------


def leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def missing(path: str) -> ApiProblem:
    return ApiProblem(
        400, f"{path} : is missing in the request", f"{leaf(path)}_missing"
    )


def invalid(path: str, detail: str) -> ApiProblem:
    return ApiProblem(400, f"{path} : {detail}", f"{leaf(path)}_invalid")


def json_body() -> dict:
    """Parse floats as Decimal so `10.155` is seen as three decimals, not rounded."""
    try:
        data = json.loads(request.get_data(cache=True) or b"null", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiProblem(
            400, "request body is not valid JSON", "request_invalid"
        ) from exc
    if not isinstance(data, dict):
        raise ApiProblem(400, "request body must be a JSON object", "request_invalid")
    return data


def text_field(
    container: dict,
    name: str,
    path: str,
    sizes: tuple[int, int],
    pattern: re.Pattern | None = None,
    required: bool = False,
) -> str | None:
    """One optional or required string with length bounds and a character set."""
    value = container.get(name)
    if value is None:
        if required:
            raise missing(path)
        return None
    if not isinstance(value, str):
        raise invalid(path, "should be a string")
    low, high = sizes
    if not low <= len(value) <= high:
        raise invalid(path, f"should be {low} to {high} characters long")
    if pattern is not None and not pattern.fullmatch(value):
        raise invalid(path, "contains characters that are not allowed")
    return value


def amount_field(value: Any, path: str, minimum: Decimal) -> Decimal:
    """A JSON number (not a string) with at most two decimals, at least `minimum`."""
    if value is None:
        raise missing(path)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise invalid(path, "should be a number")
    amount = Decimal(value)
    if amount < minimum:
        raise invalid(path, f"should be at least {minimum}. Value received: {value}")
    if amount > MAX_AMOUNT:
        raise invalid(path, f"should be at most {MAX_AMOUNT}")
    try:
        exact = amount == amount.quantize(CENT)
    except InvalidOperation:
        exact = False
    if not exact:
        raise invalid(
            path, f"at most 2 decimal places allowed. Value received: {value}"
        )
    return amount.quantize(CENT)


def object_field(body: dict, name: str, required: bool = False) -> dict:
    value = body.get(name)
    if value is None:
        if required:
            raise missing(name)
        return {}
    if not isinstance(value, dict):
        raise invalid(name, "should be an object")
    return value


def customer_field(body: dict) -> dict:
    details = object_field(body, "customer_details", required=True)
    path = "customer_details."
    return {
        "customer_id": text_field(
            details, "customer_id", path + "customer_id", (3, 50), ID_RE, True
        ),
        "customer_name": text_field(
            details, "customer_name", path + "customer_name", (3, 100)
        ),
        "customer_email": text_field(
            details, "customer_email", path + "customer_email", (3, 100), EMAIL_RE
        ),
        "customer_phone": text_field(
            details,
            "customer_phone",
            path + "customer_phone",
            (10, 10),
            DIGITS_RE,
            True,
        ),
    }


def url_field(meta: dict, name: str) -> str | None:
    """http(s) only; the sandbox also takes plain http so loopback receivers work."""
    url = text_field(meta, name, f"order_meta.{name}", (1, 250))
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid(f"order_meta.{name}", "should be an http(s) URL")
    return url


def meta_field(body: dict) -> dict:
    meta = object_field(body, "order_meta")
    methods = text_field(
        meta, "payment_methods", "order_meta.payment_methods", (0, 250)
    )
    if methods:
        unknown = {m.strip() for m in methods.split(",")} - PAYMENT_METHODS
        if unknown:
            raise invalid(
                "order_meta.payment_methods", f"unknown methods {sorted(unknown)}"
            )
    return {
        "return_url": url_field(meta, "return_url"),
        "notify_url": url_field(meta, "notify_url"),
        "payment_methods": methods,
    }


def tags_field(body: dict) -> dict | None:
    tags = object_field(body, "order_tags")
    if not tags:
        return None
    if len(tags) > 10:
        raise invalid("order_tags", "at most 10 tags allowed")
    for key in tags:
        text_field(tags, key, f"order_tags.{key}", (1, 255), required=True)
    return dict(tags)


def expiry_field(body: dict) -> str:
    """Default: 30 days out. A time in the past is accepted on purpose, so tests
    and demos can create an order that is already expired."""
    text = text_field(body, "order_expiry_time", "order_expiry_time", (1, 64))
    if text is None:
        return store.iso(store.now_ist() + dt.timedelta(days=DEFAULT_EXPIRY_DAYS))
    try:
        return store.iso(store.parse_iso(text))
    except (ValueError, OverflowError) as exc:
        raise invalid("order_expiry_time", "should be an ISO 8601 time") from exc


def digits(count: int) -> str:
    """A random id made of digits, as the gateway's cf_* ids are."""
    return str(secrets.randbelow(9 * 10 ** (count - 1)) + 10 ** (count - 1))


def new_order(body: dict) -> dict:
    """Validate a create-order request (§3.3) and build the stored record."""
    amount = amount_field(body.get("order_amount"), "order_amount", Decimal(1))
    currency = text_field(
        body, "order_currency", "order_currency", (3, 3), CURRENCY_RE, True
    )
    customer = customer_field(body)
    order_id = text_field(body, "order_id", "order_id", (3, 45), ID_RE)
    return {
        "cf_order_id": digits(10),
        "order_id": order_id or f"order_{digits(10)}{secrets.token_hex(4)}",
        "order_currency": currency,
        "order_amount": str(amount),
        "status": "ACTIVE",
        "payment_session_id": "session_" + secrets.token_urlsafe(64),
        "order_expiry_time": expiry_field(body),
        "order_note": text_field(body, "order_note", "order_note", (3, 200)),
        "created_at": store.iso(store.now_ist()),
        "customer_details": customer,
        "order_meta": meta_field(body),
        "order_tags": tags_field(body),
        "payments": [],
        "refunds": [],
    }


# --- orders API ---------------------------------------------------------------


def not_found() -> ApiProblem:
    return ApiProblem(404, "order not found", "order_not_found")


def find_order(order_id: str) -> dict:
    order = store.get_order(order_id)
    if order is None:
        raise not_found()
    return order


@pg.post("/orders")
def create_order() -> Response:
    order = new_order(json_body())
    if not store.insert_order(order):
        raise ApiProblem(
            409, "order with same id is already present", "order_already_exists"
        )
    return json_response(store.order_entity(order))


@pg.get("/orders/<order_id>")
def fetch_order(order_id: str) -> Response:
    return json_response(store.order_entity(find_order(order_id)))


@pg.patch("/orders/<order_id>")
def terminate_order(order_id: str) -> Response:
    """Only an ACTIVE order can be terminated; it answers TERMINATED at once."""
    if json_body().get("order_status") != "TERMINATED":
        raise invalid("order_status", "only TERMINATED is allowed")

    def change(order: dict | None) -> dict:
        if order is None:
            raise not_found()
        status = store.status_of(order)
        if status != "ACTIVE":
            raise ApiProblem(
                409, f"order is {status} and cannot be terminated", "order_not_active"
            )
        order["status"] = "TERMINATED"
        return order

    order = store.update(store.order_key(order_id), change)
    return json_response(store.order_entity(order))


@pg.get("/orders/<order_id>/payments")
def list_payments(order_id: str) -> Response:
    order = find_order(order_id)
    return json_response([store.payment_entity(order, p) for p in order["payments"]])


@pg.get("/orders/<order_id>/payments/<cf_payment_id>")
def fetch_payment(order_id: str, cf_payment_id: str) -> Response:
    order = find_order(order_id)
    for payment in order["payments"]:
        if payment["cf_payment_id"] == cf_payment_id:
            return json_response(store.payment_entity(order, payment))
    raise ApiProblem(404, "payment not found", "payment_not_found")


def new_refund(body: dict) -> dict:
    amount = amount_field(body.get("refund_amount"), "refund_amount", CENT)
    return {
        "cf_refund_id": digits(8),
        "refund_id": text_field(body, "refund_id", "refund_id", (3, 40), ID_RE, True),
        "amount": str(amount),
        "note": text_field(body, "refund_note", "refund_note", (3, 100)),
        "created_at": store.iso(store.now_ist()),
    }


def add_refund(order: dict | None, refund: dict) -> dict:
    """Refuse refunds on unpaid orders, reused ids and amounts above what is left."""
    if order is None:
        raise not_found()
    if store.status_of(order) != "PAID":
        raise ApiProblem(
            409, "refund is allowed only on a paid order", "order_not_paid"
        )
    if any(r["refund_id"] == refund["refund_id"] for r in order["refunds"]):
        raise ApiProblem(
            409, "refund with same id is already present", "refund_already_exists"
        )
    left = store.refundable(order)
    if store.money(refund["amount"]) > left:
        raise invalid("refund_amount", f"exceeds the refundable amount {left}")
    order["refunds"].append(refund)
    return order


@pg.post("/orders/<order_id>/refunds")
def create_refund(order_id: str) -> Response:
    refund = new_refund(json_body())
    order = store.update(store.order_key(order_id), lambda o: add_refund(o, refund))
    return json_response(store.refund_entity(order, refund))


@pg.get("/orders/<order_id>/refunds")
def list_refunds(order_id: str) -> Response:
    order = find_order(order_id)
    return json_response([store.refund_entity(order, r) for r in order["refunds"]])


@pg.get("/orders/<order_id>/refunds/<refund_id>")
def fetch_refund(order_id: str, refund_id: str) -> Response:
    order = find_order(order_id)
    for refund in order["refunds"]:
        if refund["refund_id"] == refund_id:
            return json_response(store.refund_entity(order, refund))
    raise ApiProblem(404, "refund not found", "refund_not_found")


bp.register_blueprint(pg, url_prefix="/pg")


# --- hosted checkout ----------------------------------------------------------


def open_order(session_id: str) -> dict:
    """The order behind a session, or a 404/409 page for the shopper."""
    order = store.order_for_session(session_id)
    if order is None:
        raise PageProblem(
            404, "Unknown payment session", "This payment link is not valid."
        )
    ensure_payable(order)
    return order


def ensure_payable(order: dict) -> None:
    status = store.status_of(order)
    if status != "ACTIVE":
        raise PageProblem(
            409,
            "This order cannot be paid",
            f"Order {order['order_id']} is {status.lower()}; start a new checkout.",
        )


@bp.get("/checkout/<session_id>")
def checkout(session_id: str) -> str:
    order = open_order(session_id)
    return render_template(
        "sandbox/paysession_checkout.html",
        order=order,
        amount=store.money(order["order_amount"]),
        session_id=session_id,
    )


def new_payment(order: dict, status: str) -> dict:
    """One payment attempt; only a success carries a bank reference."""
    success = status == "SUCCESS"
    return {
        "cf_payment_id": digits(13),
        "status": status,
        "amount": order["order_amount"],
        "message": MESSAGES[status],
        "time": store.iso(store.now_ist()),
        "bank_reference": digits(12) if success else None,
        "error_details": ERRORS[status],
        "upi_id": store.UPI_SUCCESS if success else store.UPI_FAILURE,
        "delivery_id": None,
    }


def record_attempt(snapshot: dict, status: str) -> tuple[dict, dict]:
    """Append the attempt atomically: a second tab cannot pay a PAID order.

    Failed and dropped attempts leave the order ACTIVE so the shopper may retry.
    """
    payment = new_payment(snapshot, status)
    if snapshot["order_meta"].get("notify_url"):
        payment["delivery_id"] = secrets.token_hex(8)

    def change(order: dict | None) -> dict:
        if order is None:
            raise PageProblem(404, "Unknown order", "This order no longer exists.")
        ensure_payable(order)
        order["payments"].append(payment)
        if status == "SUCCESS":
            order["status"] = "PAID"
        return order

    return store.update(store.order_key(snapshot["order_id"]), change), payment


def return_target(return_url: str, order_id: str) -> str:
    """Fill the `{order_id}` placeholder; without one, append `order_id=`."""
    if PLACEHOLDER_RE.search(return_url):
        filled = quote(order_id, safe="")
        return PLACEHOLDER_RE.sub(lambda _match: filled, return_url)
    parts = urlsplit(return_url)
    if any(name == "order_id" for name, _ in parse_qsl(parts.query)):
        return return_url
    extra = urlencode({"order_id": order_id})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))


@bp.post("/checkout/<session_id>/complete")
def complete(session_id: str) -> Any:
    outcome = request.form.get("outcome", "")
    if outcome not in OUTCOMES:
        raise PageProblem(400, "Unknown outcome", "Choose success, failed or dropped.")
    order = open_order(session_id)
    order, payment = record_attempt(order, OUTCOMES[outcome])
    send_webhook(order, payment)
    return_url = order["order_meta"].get("return_url")
    if return_url:
        return redirect(return_target(return_url, order["order_id"]), 302)
    return render_template(
        "sandbox/paysession_message.html",
        title=f"Payment {payment['status'].lower().replace('_', ' ')}",
        message=f"Order {order['order_id']}: {payment['message']}.",
    )


# --- webhooks -----------------------------------------------------------------


def send_webhook(order: dict, payment: dict) -> None:
    """Queue the signed notification; RQ owns retries so a slow merchant never
    holds up the shopper's redirect."""
    delivery_id = payment["delivery_id"]
    if not delivery_id:
        return
    url = order["order_meta"]["notify_url"]
    event = store.WEBHOOK_TYPES[payment["status"]]
    store.new_delivery(delivery_id, order["order_id"], event, url)
    get_queue("sandbox").enqueue(
        deliver_webhook,
        url,
        store.webhook_body(order, payment),
        credentials()[1],
        delivery_id,
        retry=WEBHOOK_RETRY,
        description=f"paysession {event} for {order['order_id']}",
        failure_ttl=24 * 3600,
    )


def webhook_headers(secret: str, body: str, attempt: int) -> dict[str, str]:
    """A fresh timestamp and signature per attempt, like the real gateway."""
    timestamp = str(int(time.time() * 1000))
    return {
        "content-type": "application/json",
        "x-webhook-timestamp": timestamp,
        "x-webhook-signature": store.sign(secret, timestamp, body),
        "x-webhook-version": store.API_VERSION,
        "x-webhook-attempt": str(attempt),
    }


def failure_state() -> str:
    """`retrying` while RQ has retries left, `failed` after the last one."""
    job = get_current_job()
    return "retrying" if job is not None and job.retries_left else "failed"


@in_app_context
def deliver_webhook(url: str, body: str, secret: str, delivery_id: str) -> int:
    """POST the exact body bytes; raise on anything but 2xx so RQ retries.

    Redirects are not followed: the gateway counts a 3xx as a failed delivery.
    """
    attempt = store.start_attempt(delivery_id)
    headers = webhook_headers(secret, body, attempt)
    try:
        response = requests.post(
            url,
            data=body.encode(),
            headers=headers,
            timeout=WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        store.finish_attempt(
            delivery_id, {"error": exc.__class__.__name__}, failure_state()
        )
        raise WebhookNotDelivered(f"{url}: {exc.__class__.__name__}") from exc
    code = response.status_code
    if not 200 <= code < 300:
        store.finish_attempt(delivery_id, {"status_code": code}, failure_state())
        raise WebhookNotDelivered(f"{url} answered {code}")
    store.finish_attempt(delivery_id, {"status_code": code}, "delivered")
    return code


# --- fault mode and index -------------------------------------------------------


@bp.route("/mode", methods=["GET", "POST"])
def mode() -> Any:
    """Switch the API between ok, fail and hang; hosted pages are never affected."""
    if request.method == "POST":
        data = request.get_json(silent=True) if request.is_json else request.form
        value = (data or {}).get("mode")
        if value not in store.MODES:
            body = error_body(
                f"mode : should be one of {', '.join(store.MODES)}",
                "mode_invalid",
                "invalid_request_error",
            )
            return json_response(body, 400)
        store.set_mode(value)
        if request.form.get("redirect"):
            return redirect(url_for(".index"), 303)
    return json_response({"mode": store.get_mode()})


def order_row(order: dict) -> dict:
    """What the index shows per order: attempts and their webhook deliveries."""
    ids = [p["delivery_id"] for p in order["payments"] if p.get("delivery_id")]
    return {
        "order": order,
        "amount": store.money(order["order_amount"]),
        "status": store.status_of(order),
        "deliveries": store.deliveries(ids),
    }


@bp.get("/")
def index() -> str:
    rows = [order_row(o) for o in store.recent_orders()]
    return render_template(
        "sandbox/paysession_index.html",
        rows=rows,
        mode=store.get_mode(),
        modes=store.MODES,
    )

"""Offline KOMOJU simulator, mounted at /_sandbox/komoju in sandbox mode.

It speaks the protocol in ../shared/gateways.md section 2: the `/api/v1` session
and payment API with HTTP Basic auth, the hosted payment page, konbini slips that
are paid or lapse later, and webhooks signed with HMAC-SHA256 over the raw body.
The code is written independently of `app.payments`: two separate implementations
of the protocol catch each other's mistakes, so never import the merchant adapter
here.

State lives in Redis (see `app.sandbox.komoju_store`). Webhooks go through the RQ
queue "sandbox" so a merchant endpoint that fails is retried like the real thing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from rq import Retry
from werkzeug.datastructures import MultiDict

from app.config import gateway_url
from app.extensions import csrf
from app.jobs import get_queue, in_app_context
from app.sandbox import komoju_store as store
from app.sandbox.komoju_store import Record, SandboxError

bp = Blueprint("sandbox_komoju", __name__)
# KOMOJU authenticates its API with the secret key and takes cross-site form posts
# on its hosted pages; there is no CSRF token in its protocol.
csrf.exempt(bp)

OUTCOMES = ("capture", "decline", "cancel")
LOCALES = ("ja", "en", "ko")
CAPTURE_MODES = ("auto", "manual")
MAX_EXPIRES_IN_SECONDS = 86400
METADATA_KEY_MAX = 30
METADATA_VALUE_MAX = 2000
PAYMENT_DATA_TEXT = ("external_order_num", "name", "name_kana")
CURRENCY_RE = re.compile(r"[A-Za-z]{3}")
DIGITS_RE = re.compile(r"\d+")
FORM_KEY_PART = re.compile(r"\[([^\]]*)\]")

WEBHOOK_RETRY_INTERVALS = [2, 10, 30, 60, 120]
WEBHOOK_TIMEOUT_SECONDS = 5
WEBHOOK_FAILURE_TTL = 7 * 24 * 3600
# Endpoints a script or a person may call: JSON for scripts, pages for browsers.
NEGOTIATED_ENDPOINTS = ("pay_at_store", "expire", "mode")


# --- answers ------------------------------------------------------------------


def error_json(
    status: int, code: str, message: str, param: str | None = None
) -> tuple[Response, int]:
    """KOMOJU's error body: `{"error": {"code", "message", "param"}}`."""
    body = {"error": {"code": code, "message": message, "param": param}}
    return jsonify(body), status


def _view_name() -> str:
    return (request.endpoint or "").rpartition(".")[2]


def _prefers_html() -> bool:
    """Browsers list text/html first; scripts send `*/*` and get JSON."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def _answers_json() -> bool:
    name = _view_name()
    if name.startswith("api_"):
        return True
    return name in NEGOTIATED_ENDPOINTS and not _prefers_html()


@bp.errorhandler(SandboxError)
def _sandbox_error(exc: SandboxError):
    if _answers_json():
        return error_json(exc.status, exc.code, exc.message, exc.param)
    page = render_template("sandbox/komoju_problem.html", error=exc)
    return page, exc.status


# --- API gate: fault modes and authentication ----------------------------------


@bp.before_request
def _api_gate():
    """Simulate outages first (they hit every caller), then check the key."""
    if not _view_name().startswith("api_"):
        return None
    mode = store.get_mode()
    if mode == "fail":
        return error_json(503, "service_unavailable", "KOMOJU sandbox is in fail mode.")
    if mode == "hang":
        time.sleep(float(current_app.config.get("SANDBOX_HANG_SECONDS", 30)))
    if not _authorized():
        response, status = error_json(
            401, "unauthorized", "Authenticate with your secret key as the username."
        )
        response.headers["WWW-Authenticate"] = 'Basic realm="KOMOJU sandbox"'
        return response, status
    return None


def _authorized() -> bool:
    """HTTP Basic with the secret key as username (the password is empty)."""
    expected = current_app.config.get("KOMOJU_SECRET_KEY") or ""
    auth = request.authorization
    if not expected or auth is None or auth.type != "basic":
        return False
    given = (auth.username or "").encode()
    return hmac.compare_digest(given, expected.encode())


# --- request bodies ---------------------------------------------------------------


def _split_form_key(name: str) -> list[str]:
    """`a[b][c]` -> `["a", "b", "c"]`; a trailing `[]` gives an empty last part."""
    head, bracket, rest = name.partition("[")
    return [head, *FORM_KEY_PART.findall(bracket + rest)] if bracket else [head]


def nest_form(form: MultiDict) -> Record:
    """Rails-style nesting of a form body, as KOMOJU accepts it.

    `a[b]=1` becomes `{"a": {"b": "1"}}`, `a[]=x&a[]=y` and repeated `a=x&a=y`
    become lists, so form and JSON bodies go through the same validation.
    """
    nested: Record = {}
    for name, values in form.lists():
        parts = _split_form_key(name)
        as_list = parts[-1] == "" or len(values) > 1
        if parts[-1] == "":
            parts = parts[:-1]
        node = nested
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = list(values) if as_list else values[0]
    return nested


def request_body() -> Record:
    """The parameters of an API call, whether sent as JSON or form-encoded."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise SandboxError(422, "bad_request", "The body must be a JSON object.")
        return data
    return nest_form(request.form)


def _invalid(param: str, message: str) -> SandboxError:
    return SandboxError(422, "invalid_parameter", message, param)


def _required(data: Record, param: str) -> Any:
    value = data.get(param)
    if value is None or value == "":
        raise SandboxError(422, "bad_request", f"{param} is required.", param)
    return value


def parse_int(value: Any, param: str, minimum: int, maximum: int | None) -> int:
    """An integer from JSON or a form string; booleans and fractions are refused."""
    if isinstance(value, str) and DIGITS_RE.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(param, f"{param} must be an integer.")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise _invalid(param, f"{param} must be at least {minimum}{upper}.")
    return value


def _currency(value: Any) -> str:
    if not isinstance(value, str) or not CURRENCY_RE.fullmatch(value):
        raise _invalid("currency", "currency must be a three-letter ISO code.")
    return value.upper()


def _return_url(value: Any) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise _invalid("return_url", "return_url must be an absolute http(s) URL.")
    return value


def _payment_types(value: Any) -> list[str]:
    """Omitted means every method the sandbox offers, as on a real account."""
    if value is None or value == "":
        return list(store.PAYMENT_TYPES)
    kinds = [value] if isinstance(value, str) else value
    if not isinstance(kinds, list) or not kinds:
        raise _invalid("payment_types", "payment_types must be a non-empty array.")
    for kind in kinds:
        if kind not in store.PAYMENT_TYPES:
            raise _invalid("payment_types", f"Unsupported payment type: {kind!r}.")
    return list(dict.fromkeys(kinds))


def _choice(value: Any, param: str, allowed: tuple[str, ...], default: str) -> str:
    if value is None or value == "":
        return default
    if value not in allowed:
        raise _invalid(param, f"{param} must be one of {', '.join(allowed)}.")
    return value


def _email(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or "@" not in value or len(value) > 254:
        raise _invalid("email", "email is not a valid address.")
    return value


def _metadata(value: Any) -> dict[str, str]:
    """Keys of at most 30 characters, string values of at most 2000."""
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise _invalid("metadata", "metadata must be an object.")
    for name, item in value.items():
        if len(name) > METADATA_KEY_MAX:
            raise _invalid("metadata", f"metadata key {name!r} is too long.")
        if not isinstance(item, str) or len(item) > METADATA_VALUE_MAX:
            raise _invalid("metadata", f"metadata[{name}] must be a short string.")
    return dict(value)


def _payment_data(value: Any) -> Record:
    """The fields of `payment_data` the sandbox uses; others are ignored."""
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise _invalid("payment_data", "payment_data must be an object.")
    data: Record = {}
    for name in PAYMENT_DATA_TEXT:
        item = value.get(name)
        if item is None:
            continue
        if not isinstance(item, str) or not item or len(item) > 255:
            raise _invalid(f"payment_data[{name}]", f"{name} must be a short string.")
        data[name] = item
    if value.get("capture") is not None:
        data["capture"] = _choice(
            value["capture"], "payment_data[capture]", CAPTURE_MODES, "auto"
        )
    return data


def parse_session_params(data: Record) -> Record:
    """Validate a create-session body into the fields the store keeps."""
    return {
        "amount": parse_int(_required(data, "amount"), "amount", 0, None),
        "currency": _currency(_required(data, "currency")),
        "return_url": _return_url(_required(data, "return_url")),
        "payment_types": _payment_types(data.get("payment_types")),
        "email": _email(data.get("email")),
        "default_locale": _choice(
            data.get("default_locale"), "default_locale", LOCALES, "ja"
        ),
        "expires_in_seconds": parse_int(
            data.get("expires_in_seconds", MAX_EXPIRES_IN_SECONDS),
            "expires_in_seconds",
            1,
            MAX_EXPIRES_IN_SECONDS,
        ),
        "metadata": _metadata(data.get("metadata")),
        "payment_data": _payment_data(data.get("payment_data")),
    }


# --- API ------------------------------------------------------------------------


@bp.post("/api/v1/sessions")
def api_create_session():
    params = parse_session_params(request_body())
    base = url_for(".index", _external=True) + "sessions"
    session = store.create_session(params, base)
    return jsonify(store.session_object(session)), 200


@bp.get("/api/v1/sessions/<session_id>")
def api_get_session(session_id: str):
    return jsonify(store.session_object(store.require_session(session_id)))


@bp.post("/api/v1/sessions/<session_id>/cancel")
def api_cancel_session(session_id: str):
    return jsonify(store.session_object(store.cancel_session(session_id)))


@bp.get("/api/v1/payments/<payment_id>")
def api_get_payment(payment_id: str):
    return jsonify(store.require_payment(payment_id))


@bp.post("/api/v1/payments/<payment_id>/capture")
def api_capture_payment(payment_id: str):
    """Only for card payments made with `payment_data[capture]=manual`."""
    payment = store.capture_payment(payment_id)
    send_event("payment.captured", payment)
    return jsonify(payment)


@bp.post("/api/v1/payments/<payment_id>/refund")
def api_refund_payment(payment_id: str):
    raw = request_body().get("amount")
    amount = None if raw in (None, "") else parse_int(raw, "amount", 1, None)
    payment, event_type = store.refund_payment(payment_id, amount)
    send_event(event_type, payment)
    return jsonify(payment)


@bp.route("/api/v1/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def api_not_found(rest: str):
    """Unknown API paths answer in the API's JSON shape, not with an HTML page."""
    return error_json(404, "not_found", f"No such endpoint: /api/v1/{rest}")


# --- webhooks -------------------------------------------------------------------


class WebhookDeliveryError(RuntimeError):
    """Raised by the delivery job so RQ retries it."""


def sign(secret: str, body: bytes) -> str:
    """`X-Komoju-Signature`: lowercase hex HMAC-SHA256 of the exact body bytes."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def build_event(event_type: str, payment: Record) -> tuple[str, bytes]:
    """The event envelope, serialised once: these bytes are signed and sent."""
    event_id = f"evt_{store.new_id()}"
    envelope = {
        "id": event_id,
        "type": event_type,
        "resource": "event",
        "data": payment,
        "created_at": store.iso(store.now()),
        "reason": None,
    }
    body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
    return event_id, body.encode("utf-8")


def send_event(event_type: str, payment: Record) -> str:
    """Queue a signed webhook for the payment's new state; returns the event id.

    URL and secret are read from config now, so a test that points the webhook
    elsewhere affects exactly the events raised after it did so.
    """
    event_id, body = build_event(event_type, payment)
    url = gateway_url(current_app.config, "KOMOJU_WEBHOOK_URL")
    secret = current_app.config.get("KOMOJU_WEBHOOK_SECRET") or ""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Komoju-Webhook",
        "X-Komoju-ID": event_id,
        "X-Komoju-Event": event_type,
        "X-Komoju-Signature": sign(secret, body),
    }
    session_id = payment["session"]
    store.record_event(
        session_id,
        {"id": event_id, "type": event_type, "payment": payment["id"], "url": url},
    )
    get_queue("sandbox").enqueue(
        deliver_webhook,
        args=(url, body, headers, session_id),
        retry=Retry(max=len(WEBHOOK_RETRY_INTERVALS), interval=WEBHOOK_RETRY_INTERVALS),
        description=f"komoju webhook {event_type} {event_id}",
        failure_ttl=WEBHOOK_FAILURE_TTL,
    )
    return event_id


@in_app_context
def deliver_webhook(
    url: str, body: bytes, headers: dict[str, str], session_id: str
) -> int:
    """POST one webhook; anything but a 2xx raises so RQ tries again later.

    Every attempt is recorded (time and status, or the connection error) for the
    sandbox index page.
    """
    attempt: Record = {
        "event_id": headers["X-Komoju-ID"],
        "at": store.iso(store.now()),
        "status": None,
        "error": None,
    }
    try:
        response = requests.post(
            url,
            data=body,
            headers=headers,
            timeout=WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        attempt["error"] = exc.__class__.__name__
        store.record_attempt(session_id, attempt)
        raise WebhookDeliveryError(f"webhook to {url} failed: {exc}") from exc
    attempt["status"] = response.status_code
    store.record_attempt(session_id, attempt)
    if not 200 <= response.status_code < 300:
        raise WebhookDeliveryError(f"webhook to {url} answered {response.status_code}")
    return response.status_code


# --- hosted payment page --------------------------------------------------------


def with_session_id(url: str, session_id: str) -> str:
    """The return URL with `session_id` appended, keeping any existing query."""
    parts = urlsplit(url)
    prefix = f"{parts.query}&" if parts.query else ""
    query = f"{prefix}session_id={quote(session_id)}"
    return urlunsplit(parts._replace(query=query))


@bp.get("/sessions/<session_id>")
def hosted_page(session_id: str):
    session = store.require_session(session_id)
    return render_template(
        "sandbox/komoju_session.html",
        checkout=session,
        payment=store.session_payment(session),
        last_attempt=store.last_attempt(session),
        expired=store.is_expired(session),
    )


@bp.post("/sessions/<session_id>/complete")
def complete(session_id: str):
    """The customer's click: pay, be declined, or go back to the shop."""
    session = store.require_session(session_id)
    outcome = request.form.get("outcome", "")
    if outcome not in OUTCOMES:
        raise SandboxError(400, "bad_request", "Unknown outcome.", "outcome")
    instructions = url_for(".hosted_page", session_id=session_id, _external=True)
    payment = store.complete(
        session_id, request.form.get("payment_type", ""), outcome, instructions
    )
    if payment is not None:
        send_event(store.EVENT_FOR_STATUS[payment["status"]], payment)
    return redirect(with_session_id(session["return_url"], session_id), 302)


# --- konbini store actions ------------------------------------------------------


def _action_answer(payment: Record, message: str):
    """JSON for scripts; a redirect back to the page that was used for people."""
    if not _prefers_html():
        return jsonify({"status": payment["status"], "payment": payment})
    flash(message, "success")
    if request.form.get("back") == "session":
        return redirect(url_for(".hosted_page", session_id=payment["session"]))
    return redirect(url_for(".index"))


@bp.post("/sessions/<session_id>/pay_at_store")
def pay_at_store(session_id: str):
    payment = store.pay_at_store(session_id)
    send_event("payment.captured", payment)
    return _action_answer(payment, "The slip was paid at the store.")


@bp.post("/sessions/<session_id>/expire")
def expire(session_id: str):
    payment = store.expire_payment(session_id)
    send_event("payment.expired", payment)
    return _action_answer(payment, "The payment expired.")


# --- fault mode and index -------------------------------------------------------


@bp.route("/mode", methods=["GET", "POST"])
def mode():
    """`ok`, `fail` (API answers 503) or `hang` (API sleeps before answering)."""
    if request.method == "POST":
        data = request.get_json(silent=True) if request.is_json else request.form
        value = data.get("mode") if isinstance(data, dict) else None
        store.set_mode(str(value or ""))
        if _prefers_html():
            flash(f"KOMOJU sandbox mode is now {value}.", "info")
            return redirect(url_for(".index"))
    return jsonify({"mode": store.get_mode()})


@bp.get("/")
def index():
    rows = [
        {
            "session": session,
            "payment": store.session_payment(session) or store.last_attempt(session),
            "expired": store.is_expired(session),
            "webhooks": store.webhook_log(session["id"]),
        }
        for session in store.recent_sessions()
    ]
    return render_template(
        "sandbox/komoju_index.html",
        rows=rows,
        mode=store.get_mode(),
        modes=store.MODES,
    )

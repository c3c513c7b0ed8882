"""Offline eSewa ePay v2 simulator, mounted at /_sandbox/esewa in sandbox mode.

It speaks the wire protocol in ../shared/gateways.md section 1 (form post, browser
redirects, status API) so the storefront can be tested without the real gateway.
The signing code here is written independently of `app.payments`: two separate
implementations of the protocol catch each other's mistakes, so never import the
merchant adapter from this module.

All state lives in Redis as JSON under `sandbox:esewa:`; there are no tables, so
the simulator can be wiped with the test database's Redis flush.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import string
import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import redis
from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
)

from app.extensions import csrf

bp = Blueprint("sandbox_esewa", __name__)
# eSewa receives cross-site form posts from merchants' pages; there is no token.
csrf.exempt(bp)

KEY_PREFIX = "sandbox:esewa:"
RECENT_KEY = f"{KEY_PREFIX}recent"
MODE_KEY = f"{KEY_PREFIX}mode"
RECENT_LIMIT = 100
RECORD_TTL_SECONDS = 30 * 24 * 3600

FORM_FIELDS = (
    "amount",
    "tax_amount",
    "total_amount",
    "transaction_uuid",
    "product_code",
    "product_service_charge",
    "product_delivery_charge",
    "success_url",
    "failure_url",
    "signed_field_names",
    "signature",
)
CHARGE_FIELDS = (
    "amount",
    "tax_amount",
    "product_service_charge",
    "product_delivery_charge",
)
REQUEST_SIGNED_FIELDS = "total_amount,transaction_uuid,product_code"
RESPONSE_SIGNED_FIELDS = (
    "transaction_code,status,total_amount,transaction_uuid,product_code,"
    "signed_field_names"
)
UUID_RE = re.compile(r"[A-Za-z0-9-]+")
MERCHANT_KEY_ERROR = (
    '{"error_message":"Unable to fetch merchant key. Please try again later.","code":0}'
)

STATUSES = (
    "PENDING",
    "COMPLETE",
    "FULL_REFUND",
    "PARTIAL_REFUND",
    "AMBIGUOUS",
    "NOT_FOUND",
    "CANCELED",
)
# Statuses in which money moved at eSewa: they carry a ref_id, and the uuid is
# spent, so the merchant may not start a new payment with it.
PAID_STATUSES = frozenset(
    {"COMPLETE", "FULL_REFUND", "PARTIAL_REFUND", "AMBIGUOUS", "CANCELED"}
)
MODES = ("ok", "fail", "hang")
CODE_ALPHABET = string.ascii_uppercase + string.digits


# --- protocol helpers ---------------------------------------------------------


def sign(message: str, secret: str) -> str:
    """base64(HMAC-SHA256) of the message, the signature eSewa puts everywhere."""
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signing_message(fields: dict[str, str], names: str) -> str:
    """`name=value` pairs in the order `names` lists them, joined by commas.

    The values are used exactly as given: eSewa signs literal strings, so "100"
    and "100.0" must produce different signatures.
    """
    return ",".join(f"{name}={fields[name]}" for name in names.split(","))


def signature_matches(expected: str, given: str) -> bool:
    """Constant-time comparison, so a forger learns nothing from response times."""
    return hmac.compare_digest(expected.encode(), given.encode())


def callback_amount(total: str) -> str:
    """The callback's `total_amount`: "2500.0" for whole amounts, "1300.5" else.

    eSewa echoes the amount the way a Java double prints, not as it was posted.
    """
    value = Decimal(total)
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1))}.0"
    return format(value.normalize(), "f")


def new_transaction_code() -> str:
    """A 7-character reference like the ones eSewa issues (e.g. 000AWEO)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(7))


def parse_amount(raw: str) -> Decimal | None:
    """A finite decimal, or None; float parsing would break the total check."""
    try:
        value = Decimal(raw.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def with_query_param(url: str, name: str, value: str) -> str:
    """Append one percent-encoded parameter, keeping any query and fragment.

    The value is quoted so a base64 `+` survives query parsing on the merchant
    side instead of turning into a space.
    """
    parts = urlsplit(url)
    pair = f"{name}={quote(value, safe='')}"
    query = f"{parts.query}&{pair}" if parts.query else pair
    return urlunsplit(parts._replace(query=query))


# --- Redis state --------------------------------------------------------------


def _redis() -> redis.Redis:
    return current_app.extensions["redis"]


def _txn_key(transaction_uuid: str) -> str:
    return f"{KEY_PREFIX}txn:{transaction_uuid}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def load_transaction(transaction_uuid: str) -> dict[str, Any] | None:
    raw = _redis().get(_txn_key(transaction_uuid))
    return json.loads(raw) if raw else None


def update_transaction(
    transaction_uuid: str,
    change: Callable[[dict[str, Any] | None], dict[str, Any] | None],
) -> dict[str, Any] | None:
    """Read-modify-write one record under WATCH, so two clicks on "Pay" racing
    each other still agree on a single transaction_code.

    `change` gets the current record (or None) and returns the record to store,
    or None to leave Redis untouched. Returns what is stored afterwards.
    """
    key = _txn_key(transaction_uuid)
    with _redis().pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)
                raw = pipe.get(key)
                current = json.loads(raw) if raw else None
                updated = change(current)
                if updated is None:
                    pipe.unwatch()
                    return current
                updated["updated_at"] = _now()
                pipe.multi()
                pipe.set(key, json.dumps(updated), ex=RECORD_TTL_SECONDS)
                pipe.execute()
                return updated
            except redis.WatchError:
                continue


def remember_recent(transaction_uuid: str) -> None:
    """Keep a short, capped list of uuids for the index page."""
    with _redis().pipeline() as pipe:
        pipe.lrem(RECENT_KEY, 0, transaction_uuid)
        pipe.lpush(RECENT_KEY, transaction_uuid)
        pipe.ltrim(RECENT_KEY, 0, RECENT_LIMIT - 1)
        pipe.execute()


def recent_transactions(limit: int = 50) -> list[dict[str, Any]]:
    uuids = [u.decode() for u in _redis().lrange(RECENT_KEY, 0, limit - 1)]
    if not uuids:
        return []
    raws = _redis().mget([_txn_key(u) for u in uuids])
    return [json.loads(raw) for raw in raws if raw]


def current_mode() -> str:
    raw = _redis().get(MODE_KEY)
    return json.loads(raw)["mode"] if raw else "ok"


def set_mode(mode: str) -> None:
    _redis().set(MODE_KEY, json.dumps({"mode": mode}))


# --- settings -----------------------------------------------------------------


def product_code() -> str:
    return current_app.config["ESEWA_PRODUCT_CODE"]


def secret_key() -> str:
    return current_app.config["ESEWA_SECRET_KEY"]


# --- form validation ----------------------------------------------------------


def missing_fields(form: dict[str, str]) -> list[str]:
    return [name for name in FORM_FIELDS if not form.get(name, "").strip()]


def amount_problems(form: dict[str, str]) -> list[str]:
    """Every charge must be a non-negative decimal and the total must add up."""
    values: dict[str, Decimal] = {}
    problems = []
    for name in (*CHARGE_FIELDS, "total_amount"):
        value = parse_amount(form[name])
        if value is None or value < 0:
            problems.append(f"{name} must be a non-negative number.")
        else:
            values[name] = value
    if problems:
        return problems
    if values["total_amount"] <= 0:
        return ["total_amount must be greater than zero."]
    expected = sum(values[name] for name in CHARGE_FIELDS)
    if values["total_amount"] != expected:
        return [
            f"total_amount {form['total_amount']} does not equal amount + "
            f"tax_amount + product_service_charge + product_delivery_charge "
            f"({expected})."
        ]
    return []


def signature_problems(form: dict[str, str]) -> list[str]:
    if form["signed_field_names"] != REQUEST_SIGNED_FIELDS:
        return [f"signed_field_names must be exactly {REQUEST_SIGNED_FIELDS}."]
    expected = sign(signing_message(form, REQUEST_SIGNED_FIELDS), secret_key())
    if not signature_matches(expected, form["signature"]):
        return ["Invalid signature."]
    return []


def form_problems(form: dict[str, str]) -> list[str]:
    """What eSewa would refuse in a form post; an empty list means accepted."""
    missing = missing_fields(form)
    if missing:
        return [f"Missing or empty field: {name}." for name in missing]
    if form["product_code"] != product_code():
        # eSewa cannot look up a key for an unknown merchant, so it stops here.
        return [MERCHANT_KEY_ERROR]
    problems = signature_problems(form)
    if not UUID_RE.fullmatch(form["transaction_uuid"]):
        problems.append(
            "transaction_uuid may contain only letters, digits and hyphens."
        )
    problems += amount_problems(form)
    return problems


def error_page(status: int, problems: list[str]) -> tuple[str, int]:
    html = render_template("sandbox/esewa_error.html", status=status, problems=problems)
    return html, status


# --- browser endpoints --------------------------------------------------------


@bp.post("/api/epay/main/v2/form")
def form() -> tuple[str, int] | str:
    """The payment form endpoint the merchant's auto-submitting page posts to."""
    fields = {name: request.form.get(name, "") for name in FORM_FIELDS}
    problems = form_problems(fields)
    if problems:
        return error_page(400, problems)

    def start(current: dict[str, Any] | None) -> dict[str, Any] | None:
        if current and current["status"] in PAID_STATUSES:
            return None
        return {
            "fields": fields,
            "status": "PENDING",
            "transaction_code": None,
            "created_at": _now(),
        }

    record = update_transaction(fields["transaction_uuid"], start)
    if record is None or record["status"] != "PENDING":
        return error_page(
            400, ["Duplicate transaction_uuid: this transaction is already paid."]
        )
    remember_recent(fields["transaction_uuid"])
    return render_template(
        "sandbox/esewa_pay.html", fields=fields, merchant=fields["product_code"]
    )


def success_redirect_url(record: dict[str, Any]) -> str:
    """The success_url plus `data`: base64 of the signed compact JSON eSewa sends."""
    fields = record["fields"]
    payload = {
        "transaction_code": record["transaction_code"],
        "status": "COMPLETE",
        "total_amount": callback_amount(fields["total_amount"]),
        "transaction_uuid": fields["transaction_uuid"],
        "product_code": fields["product_code"],
        "signed_field_names": RESPONSE_SIGNED_FIELDS,
    }
    payload["signature"] = sign(
        signing_message(payload, RESPONSE_SIGNED_FIELDS), secret_key()
    )
    compact = json.dumps(payload, separators=(",", ":"))
    data = base64.b64encode(compact.encode()).decode()
    return with_query_param(fields["success_url"], "data", data)


def complete(current: dict[str, Any] | None) -> dict[str, Any] | None:
    """PENDING or NOT_FOUND (a late completion) becomes COMPLETE; COMPLETE stays
    as it is, so a replayed click gets the same transaction_code."""
    if current is None or current["status"] not in ("PENDING", "NOT_FOUND"):
        return None
    current["status"] = "COMPLETE"
    current["transaction_code"] = current["transaction_code"] or new_transaction_code()
    return current


def abandon(current: dict[str, Any] | None) -> dict[str, Any] | None:
    """The customer left without paying; money that already moved stays moved."""
    if current is None or current["status"] in PAID_STATUSES:
        return None
    current["status"] = "NOT_FOUND"
    return current


@bp.post("/pay")
def pay() -> Response | tuple[str, int]:
    """The customer's choice on the payment page: pay, or give up."""
    transaction_uuid = request.form.get("transaction_uuid", "")
    outcome = request.form.get("outcome", "")
    if load_transaction(transaction_uuid) is None:
        return error_page(404, ["Unknown transaction_uuid."])
    if outcome not in ("success", "failure"):
        return error_page(400, ["outcome must be success or failure."])
    if outcome == "failure":
        record = update_transaction(transaction_uuid, abandon)
        return redirect(record["fields"]["failure_url"], code=302)
    record = update_transaction(transaction_uuid, complete)
    if record["status"] != "COMPLETE":
        return error_page(
            409, [f"The transaction is {record['status']} and cannot be paid."]
        )
    return redirect(success_redirect_url(record), code=302)


@bp.get("/")
def index() -> str:
    """A glance at recent sandbox transactions, for demos and debugging."""
    return render_template(
        "sandbox/esewa_index.html",
        transactions=recent_transactions(),
        mode=current_mode(),
    )


# --- status API ---------------------------------------------------------------


def api_error(message: str, status: int) -> tuple[Response, int]:
    return jsonify({"code": 0, "error_message": message}), status


def status_body(query: dict[str, str], total: Decimal) -> dict[str, Any]:
    """The status answer; anything that does not match a record is NOT_FOUND."""
    record = load_transaction(query["transaction_uuid"])
    body: dict[str, Any] = {
        "product_code": query["product_code"],
        "transaction_uuid": query["transaction_uuid"],
        "total_amount": float(total),
        "status": "NOT_FOUND",
        "ref_id": None,
    }
    if record is None:
        return body
    fields = record["fields"]
    if fields["product_code"] != query["product_code"]:
        return body
    if Decimal(fields["total_amount"]) != total:
        return body
    body["total_amount"] = float(Decimal(fields["total_amount"]))
    body["status"] = record["status"]
    if record["status"] in PAID_STATUSES:
        body["ref_id"] = record["transaction_code"]
    return body


@bp.get("/api/epay/transaction/status/", strict_slashes=False)
def transaction_status() -> Response | tuple[Response, int]:
    """The server-to-server status check; the fault mode applies only here."""
    mode = current_mode()
    if mode == "fail":
        return api_error("Service is currently unavailable", 503)
    if mode == "hang":
        time.sleep(current_app.config.get("SANDBOX_HANG_SECONDS", 30))
    names = ("product_code", "total_amount", "transaction_uuid")
    query = {name: request.args.get(name, "").strip() for name in names}
    missing = [name for name in names if not query[name]]
    if missing:
        return api_error(f"Missing parameter(s): {', '.join(missing)}", 400)
    total = parse_amount(query["total_amount"].replace(",", ""))
    if total is None:
        return api_error("total_amount must be a number", 400)
    return jsonify(status_body(query, total))


# --- test and demo controls ---------------------------------------------------


def posted_value(name: str) -> str:
    """A field from a form post or a JSON body, whichever the caller sent."""
    if request.is_json:
        payload = request.get_json(silent=True) or {}
        return str(payload.get(name, "")).strip()
    return request.form.get(name, "").strip()


@bp.route("/mode", methods=["GET", "POST"])
def mode() -> Response | tuple[Response, int]:
    """Read or switch the status API's fault mode (ok, fail or hang)."""
    if request.method == "POST":
        wanted = posted_value("mode")
        if wanted not in MODES:
            return api_error(f"mode must be one of {', '.join(MODES)}", 400)
        set_mode(wanted)
    return jsonify({"mode": current_mode()})


def public_view(record: dict[str, Any]) -> dict[str, Any]:
    fields = record["fields"]
    return {
        "transaction_uuid": fields["transaction_uuid"],
        "total_amount": fields["total_amount"],
        "status": record["status"],
        "transaction_code": record["transaction_code"],
    }


@bp.post("/transactions/<transaction_uuid>/status")
def force_status(transaction_uuid: str) -> Response | tuple[Response, int]:
    """Put a transaction in any documented state, e.g. a refund eSewa made."""
    wanted = posted_value("status")
    if wanted not in STATUSES:
        return api_error(f"status must be one of {', '.join(STATUSES)}", 400)

    def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
        if current is None:
            return None
        current["status"] = wanted
        if wanted in PAID_STATUSES and not current["transaction_code"]:
            current["transaction_code"] = new_transaction_code()
        return current

    record = update_transaction(transaction_uuid, change)
    if record is None:
        return api_error("Unknown transaction_uuid", 404)
    return jsonify(public_view(record))

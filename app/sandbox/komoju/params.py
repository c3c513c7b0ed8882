"""Parsing and validating KOMOJU API bodies, JSON or form-encoded.

KOMOJU accepts both (gateways.md 2.1); form bodies nest Rails-style, e.g.
`payment_data[external_order_num]=...`. Everything the real API would refuse is
a `SandboxError` with KOMOJU's error code and the offending parameter.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import request
from werkzeug.datastructures import MultiDict

from app.sandbox.komoju.store import PAYMENT_TYPES, Record, SandboxError

LOCALES = ("ja", "en", "ko")
CAPTURE_MODES = ("auto", "manual")
MAX_EXPIRES_IN_SECONDS = 86400
METADATA_KEY_MAX = 30
METADATA_VALUE_MAX = 2000
PAYMENT_DATA_TEXT = ("external_order_num", "name", "name_kana")
CURRENCY_RE = re.compile(r"[A-Za-z]{3}")
DIGITS_RE = re.compile(r"\d+")
FORM_KEY_PART = re.compile(r"\[([^\]]*)\]")


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


def optional_amount(data: Record) -> int | None:
    """A refund's `amount`: omitted means "everything that is left"."""
    raw = data.get("amount")
    return None if raw in (None, "") else parse_int(raw, "amount", 1, None)


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
        return list(PAYMENT_TYPES)
    kinds = [value] if isinstance(value, str) else value
    if not isinstance(kinds, list) or not kinds:
        raise _invalid("payment_types", "payment_types must be a non-empty array.")
    for kind in kinds:
        if kind not in PAYMENT_TYPES:
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

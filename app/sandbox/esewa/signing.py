"""eSewa's wire format as the simulator writes it: signatures, amounts, URLs.

Written independently of `app.payments.gateways.esewa`: two separate
implementations of the protocol catch each other's mistakes, so never import
the merchant adapter here (gateways.md 1.3-1.5).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from decimal import Decimal, InvalidOperation
from urllib.parse import quote, urlsplit, urlunsplit

REQUEST_SIGNED_FIELDS = "total_amount,transaction_uuid,product_code"
RESPONSE_SIGNED_FIELDS = (
    "transaction_code,status,total_amount,transaction_uuid,product_code,"
    "signed_field_names"
)
CODE_ALPHABET = string.ascii_uppercase + string.digits


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
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def callback_amount(total: str) -> str:
    """The callback's `total_amount`: "2500.0" for whole amounts, "1300.5" else.

    eSewa echoes the amount the way a Java double prints, not as it was posted.
    """
    value = Decimal(total)
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1))}.0"
    return format(value.normalize(), "f")


def with_thousands(amount: str) -> str:
    """ "2700.0" -> "2,700.0": the separator real callbacks sometimes carry."""
    whole, dot, fraction = amount.partition(".")
    return f"{int(whole):,}{dot}{fraction}"


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

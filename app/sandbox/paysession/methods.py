"""The payment methods of `order_meta.payment_methods` (gateways.md 3.3, 3.5).

A merchant may limit an order to some methods (`"cc,upi"`); the hosted page then
offers only those, and the attempt's `payment_group` and `payment_method` say
which one was used. The details inside `payment_method` are the sandbox's own
test values: the stored sources document the UPI shape; the others follow the
same pattern with the object named as the gateway names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UPI_SUCCESS = "testsuccess@gocash"
UPI_FAILURE = "testfailure@gocash"
TEST_PHONE = "9999999999"


@dataclass(frozen=True)
class Method:
    code: str  # as in order_meta.payment_methods
    label: str  # on the hosted page
    group: str  # the attempt's payment_group
    key: str  # the object inside payment_method


def _card(kind: str, network: str = "visa") -> dict[str, Any]:
    return {
        "channel": "link",
        "card_number": "XXXXXXXXXXXX1111",
        "card_network": network,
        "card_type": kind,
        "card_country": "IN",
        "card_bank_name": "Sandbox Bank",
    }


# In the order the hosted page lists them; UPI first, as before methods existed.
METHODS: dict[str, Method] = {
    m.code: m
    for m in (
        Method("upi", "UPI (test VPA)", "upi", "upi"),
        Method("cc", "Credit card", "credit_card", "card"),
        Method("dc", "Debit card", "debit_card", "card"),
        Method("nb", "Net banking", "net_banking", "netbanking"),
        Method("app", "Wallet app", "wallet", "app"),
        Method("paylater", "Pay later", "pay_later", "pay_later"),
        Method("cardlessemi", "Cardless EMI", "cardless_emi", "cardless_emi"),
        Method("ccemi", "Credit card EMI", "credit_card_emi", "emi"),
        Method("dcemi", "Debit card EMI", "debit_card_emi", "emi"),
        Method("ccc", "Corporate credit card", "credit_card", "card"),
        Method("ppc", "Prepaid card", "prepaid_card", "card"),
        Method("paypal", "PayPal", "paypal", "paypal"),
        Method("banktransfer", "Bank transfer", "bank_transfer", "banktransfer"),
    )
}
DEFAULT_METHOD = "upi"


def parse_list(text: str | None) -> list[str]:
    """`"cc, upi"` -> `["cc", "upi"]`; empty means every method."""
    return [code.strip() for code in (text or "").split(",") if code.strip()]


def unknown(codes: list[str]) -> list[str]:
    return sorted(set(codes) - set(METHODS))


def offered(order: dict) -> list[Method]:
    """What the hosted page offers for this order, in the page's order."""
    wanted = set(parse_list(order["order_meta"].get("payment_methods")))
    return [m for code, m in METHODS.items() if not wanted or code in wanted]


def details(code: str, success: bool) -> dict[str, Any]:
    """The attempt's `payment_method` object."""
    method = METHODS[code]
    if method.key == "upi":
        upi_id = UPI_SUCCESS if success else UPI_FAILURE
        return {"upi": {"channel": "collect", "upi_id": upi_id}}
    if method.key == "card":
        card_type = "credit_card" if method.code in ("cc", "ccc") else method.group
        return {"card": _card(card_type)}
    if method.key == "netbanking":
        return {
            "netbanking": {
                "channel": "link",
                "netbanking_bank_code": "3333",
                "netbanking_bank_name": "Sandbox Bank",
            }
        }
    return {method.key: {"channel": "link", "provider": "sandbox", "phone": TEST_PHONE}}

"""Back-office form input turned into plain values for the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.digits import ascii_int

ADDRESS_KEYS = ("name", "line1", "line2", "city", "postcode", "country", "phone")


@dataclass(frozen=True)
class CustomerOrderForm:
    """ "Create order": what an admin prepares for a customer."""

    product_id: int
    quantity: int
    name: str
    email: str
    address: dict[str, str]
    note: str

    @classmethod
    def parse(cls, form: Any) -> CustomerOrderForm:
        """ValueError when the product or quantity is not a number."""
        return cls(
            product_id=_whole(form.get("product_id") or "0"),
            quantity=_whole(form.get("quantity") or "1"),
            name=form.get("name", ""),
            email=form.get("email", ""),
            address={k: form.get(f"ship_{k}", "") for k in ADDRESS_KEYS},
            note=form.get("note", ""),
        )


def _whole(text: str) -> int:
    number = ascii_int(text.strip(), 9)
    if number is None:
        raise ValueError("not a whole number")
    return number

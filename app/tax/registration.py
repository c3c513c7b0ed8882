"""Registration numbers: Nepal's PAN/VAT number and Japan's qualified invoice
issuer number (`T` + 13 digits whose first digit is a check digit)."""

from __future__ import annotations

import re

NEPAL_PAN = re.compile(r"^\d{9}$")
JAPAN_INVOICE = re.compile(r"^T\d{13}$")


def japan_check_digit(base12: str) -> int:
    """The National Tax Agency's check digit over the 12-digit base number:
    9 - (sum of digit * (1 if its position from the right is odd else 2)) mod 9."""
    total = 0
    for position, digit in enumerate(reversed(base12), start=1):
        total += int(digit) * (1 if position % 2 else 2)
    return 9 - total % 9


def normalise(country: str, number: str) -> str:
    text = re.sub(r"[\s-]", "", number or "").upper()
    if country == "JP" and text.isdigit() and len(text) == 13:
        text = "T" + text
    return text


def is_valid(country: str, number: str) -> bool:
    if country == "NP":
        return bool(NEPAL_PAN.match(number))
    if country == "JP":
        if not JAPAN_INVOICE.match(number):
            return False
        digits = number[1:]
        return int(digits[0]) == japan_check_digit(digits[1:])
    return False

"""Registration numbers: Nepal's PAN/VAT number and Japan's qualified invoice
issuer number (`T` + 13 digits whose first digit is a check digit)."""

from __future__ import annotations

import re

# ASCII digits only: `\d` also takes other scripts' digits (issue #13).
NEPAL_PAN = re.compile(r"[0-9]{9}")
JAPAN_INVOICE = re.compile(r"T[0-9]{13}")


def japan_check_digit(base12: str) -> int:
    """The National Tax Agency's check digit over the 12-digit base number:
    9 - (sum of digit * (1 if its position from the right is odd else 2)) mod 9."""
    total = 0
    for position, digit in enumerate(reversed(base12), start=1):
        total += int(digit) * (1 if position % 2 else 2)
    return 9 - total % 9


def normalise(country: str, number: str) -> str:
    text = re.sub(r"[\s-]", "", number or "").upper()
    if country == "JP" and re.fullmatch(r"[0-9]{13}", text):
        text = "T" + text
    return text


def is_valid(country: str, number: str) -> bool:
    if country == "NP":
        return bool(NEPAL_PAN.fullmatch(number))
    if country == "JP":
        if not JAPAN_INVOICE.fullmatch(number):
            return False
        digits = number[1:]
        return int(digits[0]) == japan_check_digit(digits[1:])
    return False

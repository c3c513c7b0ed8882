"""The one parser for whole numbers typed by people or sent by clients.

`str.isdigit()` says yes to `²`, `١` and `３`, and `int()` reads some of those
(and `_`, `+`, spaces) but not others: a check with one and a conversion with
the other answered 500. Request input is read here, ASCII digits only.
"""

from __future__ import annotations

import re

_ASCII_DIGITS = re.compile(r"[0-9]+")


def ascii_int(text: object, max_digits: int = 9) -> int | None:
    """`text` as a non-negative int when it is 1..max_digits ASCII digits (no
    sign, spaces, underscores or other scripts' digits), else None."""
    if not isinstance(text, str) or not 0 < len(text) <= max_digits:
        return None
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    return int(text)

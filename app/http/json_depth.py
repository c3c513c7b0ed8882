"""How deeply a JSON text nests, counted without parsing it.

Python's `json` module recurses once per `[` or `{`: a body of a few thousand
brackets raises RecursionError (not the ValueError Flask turns into a 400) and
would answer 500. Bodies are measured at the door (`app.security`) and refused
past `MAX_JSON_DEPTH`; no request the shop serves nests anywhere near that.
"""

from __future__ import annotations

import re

MAX_JSON_DEPTH = 64

# A JSON string (escapes included), whose brackets do not count.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def too_deep(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when `data`, read as JSON, opens more than `limit` arrays/objects
    inside one another. Works on any bytes; cheap (two regex scans)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub(b"", data)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth = max(0, depth - 1)
    return False

"""Wrong keys that are certainly wrong."""

from __future__ import annotations


def near_miss(key: str) -> str:
    """`key` with its last character changed: as close as a wrong key gets, and
    never the key itself (blindly writing "A" there is the real key whenever the
    key already ends in "A", one run in 64)."""
    return key[:-1] + ("B" if key.endswith("A") else "A")

"""What a scan at the door comes to, and where it came from."""

from __future__ import annotations

from enum import StrEnum


class ScanResult(StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY_CHECKED_IN = "already_checked_in"
    REFUNDED = "refunded"  # the ticket was voided (refund)
    CANCELLED = "cancelled"  # the order is not (or no longer) paid
    WRONG_EVENT = "wrong_event"
    UNKNOWN = "unknown"


class ScanSource(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


# Refusals whose reason the door shows in red.
REFUSALS = frozenset(set(ScanResult) - {ScanResult.CHECKED_IN})

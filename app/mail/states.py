"""An email's claim row: `sending` while one worker holds it, then `sent`."""

from __future__ import annotations

from enum import StrEnum


class EmailStatus(StrEnum):
    SENDING = "sending"
    SENT = "sent"

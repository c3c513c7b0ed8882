"""An email's claim row: `sending` while one worker holds it, then `sent`."""

from __future__ import annotations

from enum import StrEnum

from app.lifecycle import Lifecycle


class EmailStatus(StrEnum):
    SENDING = "sending"
    SENT = "sent"


EMAIL_LIFECYCLE: Lifecycle[EmailStatus] = Lifecycle(
    "email", {"sent": ({EmailStatus.SENDING}, EmailStatus.SENT)}
)

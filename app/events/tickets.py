"""Ticket codes and their QR codes, and what the tickets email is built from.

A code is 80 random bits in base32 (16 characters, no padding, no look-alike
lower case), unique by database constraint. The QR code carries the code itself:
door staff scan it and look the ticket up; the printable page needs the order key.
"""

from __future__ import annotations

import base64
import io
import secrets

import segno
from markupsafe import Markup

CODE_BYTES = 10  # 80 bits -> 16 base32 characters


def new_code() -> str:
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode().rstrip("=")


def _qr(code: str) -> segno.QRCode:
    return segno.make(code, error="m", micro=False)


def qr_svg(code: str, scale: int = 4) -> Markup:
    """Inline SVG for pages (no script, no external image)."""
    svg = _qr(code).svg_inline(scale=scale, omitsize=True, title=f"Ticket {code}")
    return Markup(svg)  # noqa: S704 - segno's own SVG, the code is base32


def qr_png(code: str, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    _qr(code).save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def qr_data_uri(code: str) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(code)).decode()


def tickets_email_context(ctx: dict) -> None:
    """The `tickets` email: the tickets, the event and one QR PNG per ticket
    (attached)."""
    from app.events.services import event_of, tickets_of

    order = ctx.get("order")
    if order is None:
        ctx.update(tickets=[], event=None, _attachments=[])
        return
    tickets = tickets_of(order)
    types = {i.ticket_type_id: i for i in order.items}
    ctx["event"] = event_of(order)
    ctx["tickets"] = [
        {
            "code": t.code,
            "attendee_name": t.attendee_name,
            "attendee_email": t.attendee_email,
            "type": types[t.ticket_type_id].title if t.ticket_type_id in types else "",
            "url": f"{ctx['base_url']}/tickets/{t.code}?key={order.order_key}",
            "qr": qr_data_uri(t.code),
            "cid": f"qr-{t.code}.png",
        }
        for t in tickets
    ]
    ctx["tickets_url"] = (
        f"{ctx['base_url']}/orders/{order.public_id}/tickets?key={order.order_key}"
    )
    ctx["_attachments"] = [
        (f"ticket-{t.code}.png", "image/png", qr_png(t.code)) for t in tickets
    ]

"""Ticket codes and their QR codes.

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

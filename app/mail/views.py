"""Development-only mailbox: the messages written under instance/mail/, shown as
their recipients see them.

Every customer's receipts, order keys and ticket links are in there, so only an
admin may look; everyone else (anonymous visitors included) gets the same 404 as
when the mailbox is switched off, which reveals nothing.

A message page shows the HTML part in a sandboxed frame (its own response,
with a policy that runs no script and loads nothing from outside, so an email's
inline styles and data: images render as in a mail client), the plain-text
part, and the attachments (the tickets' QR codes inline, anything else as a
download).
"""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlparse

from flask import Blueprint, abort, current_app, make_response, render_template
from flask_login import current_user

bp = Blueprint("mail", __name__)

# The HTML part is somebody else's document: no script, nothing fetched, shown
# only inside our own mailbox page.
HTML_PART_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; sandbox"
)


def _folder() -> Path:
    url = urlparse(current_app.config["MAIL_URL"])
    if current_app.config["APP_ENV"] == "production" or url.scheme != "file":
        abort(404)
    if not (current_user.is_authenticated and current_user.is_admin):
        abort(404)
    return Path(unquote(url.path))


def _load(name: str) -> EmailMessage:
    folder = _folder()
    path = folder / name
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
        abort(404)
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def _attachments(msg: EmailMessage) -> list[dict]:
    found = []
    for index, part in enumerate(msg.iter_attachments()):
        data = part.get_payload(decode=True) or b""
        found.append(
            {
                "index": index,
                "filename": part.get_filename() or f"attachment-{index + 1}",
                "type": part.get_content_type(),
                "size": len(data),
                "image": part.get_content_maintype() == "image",
            }
        )
    return found


@bp.get("/_dev/mail")
def mailbox():
    folder = _folder()
    files = sorted(folder.glob("*.eml"), reverse=True)[:100] if folder.exists() else []
    messages = []
    for path in files:
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        messages.append({"name": path.name, "to": msg["To"], "subject": msg["Subject"]})
    return render_template("mail/mailbox.html", messages=messages)


@bp.get("/_dev/mail/<name>")
def message(name: str):
    msg = _load(name)
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    return render_template(
        "mail/message.html",
        msg=msg,
        text=plain.get_content() if plain else "",
        has_html=html is not None,
        attachments=_attachments(msg),
        name=name,
    )


@bp.get("/_dev/mail/<name>/html")
def html_part(name: str):
    part = _load(name).get_body(preferencelist=("html",))
    if part is None:
        abort(404)
    response = make_response(part.get_content())
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = HTML_PART_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/_dev/mail/<name>/attachments/<int:index>")
def attachment(name: str, index: int):
    parts = list(_load(name).iter_attachments())
    if index >= len(parts):
        abort(404)
    part = parts[index]
    response = make_response(part.get_payload(decode=True) or b"")
    response.headers["Content-Type"] = part.get_content_type()
    disposition = "inline" if part.get_content_maintype() == "image" else "attachment"
    filename = (part.get_filename() or f"attachment-{index + 1}").replace('"', "")
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

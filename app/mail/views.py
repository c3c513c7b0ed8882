"""Development-only mailbox: lists the messages written under instance/mail/."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path
from urllib.parse import unquote, urlparse

from flask import Blueprint, abort, current_app, render_template

bp = Blueprint("mail", __name__)


def _folder() -> Path:
    url = urlparse(current_app.config["MAIL_URL"])
    if current_app.config["APP_ENV"] == "production" or url.scheme != "file":
        abort(404)
    return Path(unquote(url.path))


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
    folder = _folder()
    path = folder / name
    if "/" in name or not path.is_file():
        abort(404)
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    part = msg.get_body(preferencelist=("plain",))
    text = part.get_content() if part else ""
    return render_template("mail/message.html", msg=msg, text=text, name=name)

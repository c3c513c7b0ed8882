"""Email: rendered from templates, sent once per (order, transition) key.

A claim row in `email_log` is committed before talking to SMTP, so two workers
racing on the same key cannot both send; a failed send releases the claim and the
job is retried. A mail outage therefore delays an email, never rolls back a payment.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from flask import current_app, render_template
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from app.db import utcnow
from app.extensions import db
from app.i18n.preferences import rendering_for
from app.mail.context import build_context
from app.mail.models import EmailLog
from app.mail.states import EMAIL_LIFECYCLE, EmailStatus
from app.outbox.services import emit

log = logging.getLogger(__name__)

STALE_CLAIM_MINUTES = 10


def queue_email(
    dedupe_key: str, to: str, template: str, context: dict[str, Any]
) -> None:
    """Book an email in the caller's transaction (it goes out after commit)."""
    emit(
        "email.send",
        {"dedupe_key": dedupe_key, "to": to, "template": template, "context": context},
        dedupe_key=f"email-{dedupe_key}",
    )


def handle_send_email(
    dedupe_key: str,
    to: str,
    template: str,
    context: dict[str, Any],
) -> str:
    """Outbox handler for `email.send`: templates get live objects, loaded from
    the ids in `context`, so an email shows the data as it is when it is sent.

    Rendered in the recipient's language and zone (saved with the order at
    checkout), not in whatever the job or the current request happens to use.
    """
    context = build_context(template, context)
    locale, zone = recipient_preferences(context)
    with rendering_for(locale, zone):
        subject = render_template(f"mail/{template}.subject.txt", **context).strip()
        body = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    attachments = context.pop("_attachments", [])
    return send_once(dedupe_key, to, subject, body, html, attachments)


def recipient_preferences(context: dict[str, Any]) -> tuple[str | None, str | None]:
    """The language and zone to write in: an explicit `locale`/`timezone` in the
    context, else the order's (the buyer's at checkout)."""
    order = context.get("order")
    locale = context.get("locale") or getattr(order, "locale", None)
    zone = context.get("timezone") or getattr(order, "timezone", None)
    return locale, zone


def send_once(
    dedupe_key: str,
    to: str,
    subject: str,
    body: str,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> str:
    claim = EmailLog(dedupe_key=dedupe_key, to_addr=to, subject=subject[:200])
    try:
        with db.session.begin_nested():
            db.session.add(claim)
            db.session.flush()
    except IntegrityError:
        if not _reclaim_stale(dedupe_key):
            return "already-sent"
    db.session.commit()  # the claim is visible to every other worker from here
    try:
        deliver(to, subject, body, html, attachments or [])
    except Exception:
        db.session.execute(delete(EmailLog).where(EmailLog.dedupe_key == dedupe_key))
        db.session.commit()
        raise
    db.session.execute(
        update(EmailLog)
        .where(
            EmailLog.dedupe_key == dedupe_key,
            EmailLog.status.in_(EMAIL_LIFECYCLE.sources("sent")),
        )
        .values(status=EMAIL_LIFECYCLE.target("sent"), sent_at=utcnow())
    )
    return "sent"


def _reclaim_stale(dedupe_key: str) -> bool:
    """Take over a claim left by a worker that died between claiming and sending.

    A claim still "sending" after STALE_CLAIM_MINUTES belongs to nobody: the
    conditional UPDATE lets exactly one retry take it over.
    """
    cutoff = utcnow() - dt.timedelta(minutes=STALE_CLAIM_MINUTES)
    result = db.session.execute(
        update(EmailLog)
        .where(
            EmailLog.dedupe_key == dedupe_key,
            EmailLog.status == EmailStatus.SENDING,
            EmailLog.created_at < cutoff,
        )
        .values(created_at=utcnow())
    )
    return result.rowcount == 1


def build_message(
    to: str,
    subject: str,
    body: str,
    html: str | None,
    attachments: list[tuple[str, str, bytes]],
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="storefront.test")
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    for filename, mime, data in attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def deliver(
    to: str,
    subject: str,
    body: str,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> None:
    msg = build_message(to, subject, body, html, attachments or [])
    url = urlparse(current_app.config["MAIL_URL"])
    if url.scheme == "file":
        folder = Path(unquote(url.path))
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}-{to.replace('@', '_at_')}.eml"
        (folder / name).write_bytes(bytes(msg))
        return
    if url.scheme in ("smtp", "smtps"):
        cls = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
        with cls(url.hostname or "127.0.0.1", url.port or 25, timeout=10) as smtp:
            if url.username:
                smtp.login(unquote(url.username), unquote(url.password or ""))
            smtp.send_message(msg)
        return
    raise RuntimeError(f"unsupported MAIL_URL scheme {url.scheme!r}")

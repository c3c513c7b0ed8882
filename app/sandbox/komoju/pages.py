"""What people use: the hosted payment page, the konbini store actions, the index.

The hosted page speaks the session's `default_locale`. The store actions (pay
the slip at the store, let it lapse, cancel it) stand in for what happens at a
convenience store or at KOMOJU; scripts call them for JSON, the pages' buttons
get a redirect back with a message.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

from flask import flash, jsonify, redirect, render_template, request, url_for

from app.sandbox.faults import FaultMode
from app.sandbox.komoju import payments, store, texts
from app.sandbox.komoju.http import prefers_html
from app.sandbox.komoju.store import Record, SandboxError
from app.sandbox.komoju.webhooks import send_event
from app.sandbox.states import KomojuPaymentStatus, KomojuSessionStatus

OUTCOMES = ("capture", "decline", "cancel")


def with_session_id(url: str, session_id: str) -> str:
    """The return URL with `session_id` appended, keeping any existing query."""
    parts = urlsplit(url)
    prefix = f"{parts.query}&" if parts.query else ""
    query = f"{prefix}session_id={quote(session_id)}"
    return urlunsplit(parts._replace(query=query))


def hosted_page(session_id: str):
    session = store.require_session(session_id)
    locale = session["default_locale"]
    return render_template(
        "sandbox/komoju_session.html",
        checkout=session,
        payment=store.session_payment(session),
        last_attempt=store.last_attempt(session),
        expired=store.is_expired(session),
        lang=texts.page_language(locale),
        t=texts.texts_for(locale),
        status_name=lambda status: texts.status_name(locale, status),
        SessionStatus=KomojuSessionStatus,
        PaymentStatus=KomojuPaymentStatus,
    )


def complete(session_id: str):
    """The customer's click: pay, be declined, or go back to the shop."""
    session = store.require_session(session_id)
    outcome = request.form.get("outcome", "")
    if outcome not in OUTCOMES:
        raise SandboxError(400, "bad_request", "Unknown outcome.", "outcome")
    instructions = url_for(".hosted_page", session_id=session_id, _external=True)
    created = payments.complete(
        session_id, request.form.get("payment_type", ""), outcome, instructions
    )
    if created is not None:
        payment, event_type = created
        send_event(event_type, payment)
    return redirect(with_session_id(session["return_url"], session_id), 302)


# --- konbini store actions ------------------------------------------------------


def _action_answer(outcome: payments.Outcome, message: str):
    """Send the webhook; JSON for scripts, a redirect back for people."""
    payment, event_type = outcome
    send_event(event_type, payment)
    if not prefers_html():
        return jsonify({"status": payment["status"], "payment": payment})
    flash(message, "success")
    if request.form.get("back") == "session":
        return redirect(url_for(".hosted_page", session_id=payment["session"]))
    return redirect(url_for(".index"))


def pay_at_store(session_id: str):
    return _action_answer(
        payments.pay_at_store(session_id), "The slip was paid at the store."
    )


def expire(session_id: str):
    return _action_answer(payments.expire_payment(session_id), "The payment expired.")


def cancel_payment(session_id: str):
    """KOMOJU cancels the unpaid slip itself; `payment.cancelled` follows."""
    return _action_answer(payments.cancel_slip(session_id), "The slip was cancelled.")


# --- fault mode and index -------------------------------------------------------


def mode():
    """`ok`, `fail` (API answers 503) or `hang` (API sleeps before answering)."""
    if request.method == "POST":
        data = request.get_json(silent=True) if request.is_json else request.form
        value = data.get("mode") if isinstance(data, dict) else None
        chosen = store.set_mode(value)
        if prefers_html():
            flash(f"KOMOJU sandbox mode is now {chosen}.", "info")
            return redirect(url_for(".index"))
    return jsonify({"mode": store.get_mode()})


def _row(session: Record) -> Record:
    return {
        "session": session,
        "payment": store.session_payment(session) or store.last_attempt(session),
        "expired": store.is_expired(session),
        "webhooks": store.webhook_log(session["id"]),
    }


def index():
    return render_template(
        "sandbox/komoju_index.html",
        rows=[_row(session) for session in store.recent_sessions()],
        mode=store.get_mode(),
        modes=list(FaultMode),
        PaymentStatus=KomojuPaymentStatus,
    )

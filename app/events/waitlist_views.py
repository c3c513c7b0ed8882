"""Waiting-list pages: join a sold-out type (a form on the event page), and the
emailed link that holds a ticket for the next person in line."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.catalog import services as catalog
from app.events import services, waitlist
from app.events.forms import ClaimForm, WaitlistForm
from app.extensions import db, limiter
from app.payments import methods
from app.payments.browser import remember_order
from app.services_errors import ServiceError

bp = Blueprint("waitlist", __name__)


@bp.post("/events/<int:event_id>/waitlist")
@limiter.limit("10/minute")
def join(event_id: int):
    event = catalog.get_event(event_id)
    form = WaitlistForm()
    types = {str(t.id): t for t in event.ticket_types}
    ticket_type = types.get(form.ticket_type_id.data or "")
    if ticket_type is None or not form.validate_on_submit():
        flash(_("Please give your name and a valid email address."), "error")
        return redirect(url_for("events.event_page", event_id=event.id), 303)
    try:
        waitlist.join(
            ticket_type,
            form.name.data,
            form.email.data,
            current_user.id if current_user.is_authenticated else None,
        )
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(
            _(
                "You are on the waiting list for '%(name)s'. We email you as soon "
                "as a ticket is free.",
                name=ticket_type.name,
            ),
            "success",
        )
    return redirect(url_for("events.event_page", event_id=event.id), 303)


def _claim_form(event) -> ClaimForm:
    form = ClaimForm()
    form.method.choices = [(m.code, m.name) for m in services.event_methods(event)]
    return form


@bp.route("/events/waitlist/<token>", methods=["GET", "POST"])
@limiter.limit("20/minute")
def claim(token: str):
    entry = waitlist.offer_for(token)
    ticket_type = waitlist.ticket_type_of(entry)
    event = ticket_type.event
    form = _claim_form(event)
    context = {"entry": entry, "ticket_type": ticket_type, "event": event}
    if not form.is_submitted():
        form.attendee_name.data, form.attendee_email.data = entry.name, entry.email
        if form.method.choices:
            form.method.data = form.method.choices[0][0]
        return render_template("events/waitlist_claim.html", form=form, **context)
    if not form.validate_on_submit():
        return render_template("events/waitlist_claim.html", form=form, **context), 400
    try:
        waitlist.claim(entry)
        order, payment = services.checkout_event(
            event_id=event.id,
            tickets=[
                services.TicketRequest(
                    ticket_type.id,
                    1,
                    (
                        services.Attendee(
                            form.attendee_name.data.strip(),
                            form.attendee_email.data.strip(),
                        ),
                    ),
                )
            ],
            method=methods.resolve_method(form.method.data),
            buyer=services.Buyer(
                name=entry.name,
                email=entry.email,
                user_id=current_user.id if current_user.is_authenticated else None,
            ),
            web=True,
            unlock_code=ticket_type.unlock_code,
        )
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return render_template(
            "events/waitlist_claim.html", form=form, **context
        ), exc.status
    entry.order_id = order.id
    db.session.commit()
    remember_order(order)
    return redirect(
        url_for("payments.handoff", payment_id=payment.id, key=order.order_key)
    )

"""Organizer pages for setting up events: create and edit an event and its
ticket types, publish, pause sales, cancel (with its progress).

Every page loads its event through `app.organizer.access` with the `EVENTS`
capability (owners and managers); staff and check-in members get 403, members
of other organizations 404. Every form carries a CSRF token.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.extensions import db
from app.organizer import access, cancellation, manage
from app.organizer.manage_forms import (
    ConfirmForm,
    EventForm,
    NewEventForm,
    TicketTypeForm,
)
from app.organizer.organizations import home_organization
from app.organizer.roles import EVENTS
from app.organizer.views import organizer_required
from app.services_errors import ServiceError

bp = Blueprint("organizer_manage", __name__)


def _organizations():
    """Where the caller may create events (their own one made if they are an
    organizer account without any)."""
    found = [
        m.organization for m in access.memberships(current_user) if m.role in EVENTS
    ]
    if not found and current_user.is_organizer:
        found = [home_organization(current_user)]
        # Kept from the first visit: the form names it by id, and the POST
        # must find that same organization (a rolled-back one would get a new
        # id from PostgreSQL's sequence and the choice would not validate).
        db.session.commit()
    return found


def _event_data(form: EventForm) -> dict:
    return {
        "title": form.title.data,
        "venue": form.venue.data,
        "description": form.description.data,
        "timezone": form.timezone.data,
        "starts_at": form.starts_at.data,
        "ends_at": form.ends_at.data,
        "currency": form.currency.data,
    }


def refuse_form(exc: ServiceError, template: str, **context):
    db.session.rollback()
    flash(str(exc.message), "error")
    return render_template(template, **context), exc.status


@bp.route("/events/new", methods=["GET", "POST"])
@organizer_required
def new_event():
    organizations = _organizations()
    if not organizations:
        abort(404)
    form = NewEventForm().for_organizations(organizations)
    if not form.is_submitted():
        form.timezone.data = "Asia/Tokyo"
        form.organization_id.data = organizations[0].id
    if form.validate_on_submit():
        access.require_organization_role(
            current_user, form.organization_id.data, EVENTS
        )
        try:
            event = manage.create_event(
                form.organization_id.data, current_user, _event_data(form)
            )
        except ServiceError as exc:
            return refuse_form(exc, "organizer/event_form.html", form=form, event=None)
        db.session.commit()
        flash(
            _("The event was created. Add its ticket types, then publish it."),
            "success",
        )
        return redirect(url_for("organizer_manage.setup", event_id=event.id), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("organizer/event_form.html", form=form, event=None), status


@bp.route("/events/<int:event_id>/setup", methods=["GET", "POST"])
@organizer_required
def setup(event_id: int):
    event = access.require_event_role(current_user, event_id, EVENTS)
    form = EventForm().with_choices()
    context = {"event": event, "form": form, "action_form": ConfirmForm()}
    if not form.is_submitted():
        form.title.data, form.venue.data = event.title, event.venue
        form.description.data, form.timezone.data = event.description, event.timezone
        form.starts_at.data = manage.to_local(event.starts_at, event.timezone)
        form.ends_at.data = manage.to_local(event.ends_at, event.timezone)
        form.currency.data = event.currency
    elif form.validate_on_submit():
        try:
            changed = manage.update_event(event, _event_data(form))
        except ServiceError as exc:
            return refuse_form(exc, "organizer/setup.html", **context)
        db.session.commit()
        flash(_("Saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for("organizer_manage.setup", event_id=event.id), 303)
    else:
        return render_template("organizer/setup.html", **context), 400
    return render_template("organizer/setup.html", **context)


def _type_data(form: TicketTypeForm) -> dict:
    return {
        "name": form.name.data,
        "price": form.price.data,
        "quantity_total": form.quantity_total.data,
        "max_per_order": form.max_per_order.data,
        "sales_start_at": form.sales_start_at.data,
        "sales_end_at": form.sales_end_at.data,
        "hidden": form.hidden.data,
        "unlock_code": form.unlock_code.data,
    }


@bp.route("/events/<int:event_id>/ticket-types/new", methods=["GET", "POST"])
@organizer_required
def new_ticket_type(event_id: int):
    event = access.require_event_role(current_user, event_id, EVENTS)
    form = TicketTypeForm()
    context = {"event": event, "form": form, "ticket_type": None}
    if form.validate_on_submit():
        try:
            manage.create_ticket_type(event, _type_data(form))
        except ServiceError as exc:
            return refuse_form(exc, "organizer/ticket_type_form.html", **context)
        db.session.commit()
        flash(_("The ticket type was added."), "success")
        return redirect(url_for("organizer_manage.setup", event_id=event.id), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("organizer/ticket_type_form.html", **context), status


@bp.route(
    "/events/<int:event_id>/ticket-types/<int:type_id>/edit", methods=["GET", "POST"]
)
@organizer_required
def edit_ticket_type(event_id: int, type_id: int):
    event = access.require_event_role(current_user, event_id, EVENTS)
    ticket_type = manage.ticket_type_of(event, type_id)
    form = TicketTypeForm()
    context = {"event": event, "form": form, "ticket_type": ticket_type}
    if not form.is_submitted():
        for name in ("name", "quantity_total", "max_per_order", "hidden"):
            getattr(form, name).data = getattr(ticket_type, name)
        form.unlock_code.data = ticket_type.unlock_code or ""
        form.price.data = manage.price_text(ticket_type.price, event.currency)
        for name in ("sales_start_at", "sales_end_at"):
            getattr(form, name).data = manage.to_local(
                getattr(ticket_type, name), event.timezone
            )
    elif form.validate_on_submit():
        try:
            changed = manage.update_ticket_type(ticket_type, _type_data(form))
        except ServiceError as exc:
            return refuse_form(exc, "organizer/ticket_type_form.html", **context)
        db.session.commit()
        flash(_("Saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for("organizer_manage.setup", event_id=event.id), 303)
    else:
        return render_template("organizer/ticket_type_form.html", **context), 400
    return render_template("organizer/ticket_type_form.html", **context)


ACTIONS = {
    "publish": (
        lambda event: manage.set_published(event, True),
        _l("The event is published: its page is public and tickets are on sale."),
    ),
    "unpublish": (
        lambda event: manage.set_published(event, False),
        _l("The event is no longer listed."),
    ),
    "pause": (
        lambda event: manage.set_sales_paused(event, True),
        _l("Ticket sales are paused."),
    ),
    "resume": (
        lambda event: manage.set_sales_paused(event, False),
        _l("Ticket sales are open again."),
    ),
}


@bp.post("/events/<int:event_id>/<any(publish, unpublish, pause, resume):action>")
@organizer_required
def act(event_id: int, action: str):
    event = access.require_event_role(current_user, event_id, EVENTS)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run, done = ACTIONS[action]
    try:
        run(event)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(str(done), "success")
    return redirect(url_for("organizer_manage.setup", event_id=event.id), 303)


@bp.post("/events/<int:event_id>/cancel")
@organizer_required
def cancel(event_id: int):
    event = access.require_event_role(current_user, event_id, EVENTS)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if form.confirm.data != "cancel":
        flash(_("Tick the box to confirm that the event is cancelled."), "error")
        return redirect(url_for("organizer_manage.setup", event_id=event.id), 303)
    try:
        cancellation.cancel_event(event, current_user.id)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(
            _("The event is cancelled; refunds and emails are on their way."), "success"
        )
    return redirect(
        url_for("organizer_manage.cancellation_page", event_id=event.id), 303
    )


@bp.get("/events/<int:event_id>/cancellation")
@organizer_required
def cancellation_page(event_id: int):
    event = access.require_event_role(current_user, event_id, EVENTS)
    if event.cancelled_at is None:
        abort(404)
    return render_template(
        "organizer/cancellation.html",
        event=event,
        progress=cancellation.progress(event),
    )

"""Event pages: buy tickets, the order's status (on hold, paid), printable tickets."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import form_tokens
from app.catalog import services as catalog
from app.events import attendees, sales, services
from app.events import tickets as ticket_codes
from app.events.forms import (
    AttendeeNamesForm,
    EventCheckoutForm,
    WaitlistForm,
    attendee_field,
    qty_field,
    refill_values,
    ticket_requests,
)
from app.events.states import SaleState
from app.extensions import db, limiter
from app.orders.states import is_paid
from app.payments import methods
from app.payments.browser import placed_here, remember_order
from app.services_errors import ServiceError

bp = Blueprint("events", __name__)

REFILL_KEY = "event_refill"  # a declined order whose form to offer again


@bp.app_template_global("event_tickets")
def event_tickets(order):
    """For the shared order page: the valid tickets of a paid event order (a
    refunded ticket is void)."""
    return [t for t in services.tickets_of(order) if t.voided_at is None]


def _form(event) -> EventCheckoutForm:
    form = EventCheckoutForm()
    form.method.choices = [(m.code, m.name) for m in services.event_methods(event)]
    return form


def _refill(event, form) -> dict[str, str]:
    """After a declined card the event page comes back once with the same
    tickets, attendees and buyer (the declined order is named in this browser's
    session, so nothing about it appears in the address)."""
    order = services.find_event_order(session.pop(REFILL_KEY, None) or "")
    if order is None or services.event_of(order) is not event:
        return {}
    if not (placed_here(order) or services.may_view(order, current_user, None)):
        return {}
    form.customer_name.data = order.customer_name
    form.customer_email.data = order.customer_email
    form.customer_phone.data = order.customer_phone
    payment = services.latest_payment(order)
    if payment is not None and payment.method in dict(form.method.choices):
        form.method.data = payment.method
    return refill_values(order)


def _sales_note(types) -> tuple[SaleState, object] | None:
    """Why nothing can be bought (None while some type is on sale): when sales
    open, or that they closed or are paused."""
    states = {state for _t, state in types}
    if not types or SaleState.ON_SALE in states:
        return None
    upcoming = [t.sales_start_at for t, s in types if s == SaleState.NOT_STARTED]
    if upcoming:
        return SaleState.NOT_STARTED, min(upcoming)
    for state in (SaleState.CANCELLED, SaleState.PAUSED):
        if state in states:
            return state, None
    return SaleState.CLOSED, None


def _render(event, form, status: int = 200):
    values = request.form if request.method == "POST" else _refill(event, form)
    if request.method == "GET" and current_user.is_authenticated:
        form.customer_name.data = form.customer_name.data or current_user.name
        form.customer_email.data = form.customer_email.data or current_user.email
        form.customer_phone.data = form.customer_phone.data or current_user.phone
    if not form.method.data and form.method.choices:
        form.method.data = form.method.choices[0][0]
    form.form_token.data = form_tokens.issue("event")
    code = (request.values.get("code") or "").strip()[:40]
    types = [(t, sales.sale_state(t)) for t in sales.visible_types(event, code)]
    return (
        render_template(
            "events/event.html",
            event=event,
            form=form,
            values=values,
            types=types,
            sales_note=_sales_note(types),
            waitlist_form=WaitlistForm(formdata=None),
            unlock_code=code,
            SaleState=SaleState,
            qty_field=qty_field,
            attendee_field=attendee_field,
            max_per_type=services.MAX_PER_TYPE,
        ),
        status,
    )


@bp.get("/events/<int:event_id>")
def event_page(event_id: int):
    event = catalog.get_event(event_id)
    return _render(event, _form(event))


@bp.post("/events/<int:event_id>/checkout")
@limiter.limit("20/minute")
def checkout(event_id: int):
    event = catalog.get_event(event_id)
    form = _form(event)
    if not form.validate_on_submit():
        problems = "; ".join(
            f"{getattr(form, name).label.text}: {', '.join(errors)}"
            for name, errors in form.errors.items()
            if hasattr(form, name)
        )
        flash(
            _("Please check the form. %(problems)s", problems=problems).strip(), "error"
        )
        return _render(event, form, 400)
    if not form_tokens.consume("event", form.form_token.data):
        flash(_("This order was already submitted; see your order below."), "info")
        if current_user.is_authenticated:
            return redirect(url_for("orders.my_orders"))
        return redirect(url_for("events.event_page", event_id=event.id))
    buyer = services.Buyer(
        name=form.customer_name.data or "",
        email=form.customer_email.data or "",
        phone=form.customer_phone.data or "",
        user_id=current_user.id if current_user.is_authenticated else None,
    )
    try:
        order, payment = services.checkout_event(
            event_id=event.id,
            tickets=ticket_requests(request.form, event),
            method=methods.resolve_method(form.method.data),
            buyer=buyer,
            web=True,
            unlock_code=(request.form.get("code") or "").strip()[:40] or None,
            promo_code=form.promo_code.data or None,
        )
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        event = catalog.get_event(event_id)  # fresh seats-left numbers
        return _render(event, form, exc.status)
    db.session.commit()
    remember_order(order)
    return redirect(
        url_for("payments.handoff", payment_id=payment.id, key=order.order_key)
    )


@bp.get("/events/orders/<public_id>/return")
def payment_return(public_id: str):
    """Where KOMOJU's return lands (after `/api/payments/redirect/...`, which
    verified and recorded it): an abandoned payment goes back to the event page,
    anything else to the order's status page.

    The URL carries no order key (anyone can make the generic redirect endpoint
    send them here), so only the browser that placed the order — or its owner,
    or a key holder — is let through; anyone else gets a neutral page.
    """
    order = services.find_event_order(public_id)
    if order is None or not (
        placed_here(order)
        or services.may_view(order, current_user, request.args.get("key"))
    ):
        return render_template("events/return_elsewhere.html")
    cancelled = services.settle_return(order)
    db.session.commit()
    if cancelled:
        event = services.event_of(order)
        if services.was_declined(order):
            flash(
                _(
                    "Your card was declined and nothing was charged. Your tickets "
                    "and details are filled in below: check the card and pay again."
                ),
                "error",
            )
            session[REFILL_KEY] = order.public_id
        else:
            flash(
                _(
                    "Payment cancelled — your tickets were released. You can "
                    "choose again."
                ),
                "info",
            )
        if event is not None and event.active:
            return redirect(url_for("events.event_page", event_id=event.id))
        return redirect(url_for("catalog.events"))
    return redirect(
        url_for("events.order_status", public_id=order.public_id, key=order.order_key)
    )


@bp.get("/events/orders/<public_id>")
def order_status(public_id: str):
    """The buyer's page for one ticket order: waiting, on hold (with the konbini
    slip), paid (with the tickets), failed or cancelled. It refreshes itself."""
    key = request.args.get("key")
    order = services.order_for(public_id, current_user, key)
    payment = services.latest_payment(order)
    tickets = services.tickets_of(order) if is_paid(order.status) else []
    return render_template(
        "events/order.html",
        order=order,
        key=order.order_key,
        event=services.event_of(order),
        payment=payment,
        tickets=tickets,
        qr_svg=ticket_codes.qr_svg,
        order_link=url_for(
            "events.order_status",
            public_id=order.public_id,
            key=order.order_key,
            _external=True,
        ),
    )


def _printable(order, tickets):
    return render_template(
        "events/tickets.html",
        order=order,
        key=order.order_key,
        event=services.event_of(order),
        tickets=tickets,
        types={i.ticket_type_id: i for i in order.items},
        qr_svg=ticket_codes.qr_svg,
        valid=is_paid(order.status),
    )


@bp.get("/orders/<public_id>/tickets")
def printable_tickets(public_id: str):
    order = services.order_for(public_id, current_user, request.args.get("key"))
    tickets = services.tickets_of(order)
    if not tickets:
        abort(404)
    return _printable(order, tickets)


@bp.get("/tickets/<code>")
def printable_ticket(code: str):
    if len(code) > 32:
        abort(404)
    ticket, order = services.ticket_for(code, current_user, request.args.get("key"))
    return _printable(order, [ticket])


@bp.get("/tickets")
@login_required
def my_tickets():
    return render_template(
        "events/my_tickets.html", rows=services.tickets_for_user(current_user.id)
    )


def _names_page(order, key, form, status: int = 200):
    event = services.event_of(order)
    return (
        render_template(
            "events/attendees.html",
            order=order,
            key=key,
            event=event,
            form=form,
            tickets=[t for t in services.tickets_of(order) if t.voided_at is None],
            open=attendees.can_edit(event),
            deadline=attendees.edit_deadline(event) if event else None,
        ),
        status,
    )


@bp.get("/events/orders/<public_id>/attendees")
def attendee_names(public_id: str):
    """The buyer's form to correct attendee names (order key or owner)."""
    key = request.args.get("key")
    order = services.order_for(public_id, current_user, key)
    if not is_paid(order.status):
        abort(404)
    return _names_page(order, key, AttendeeNamesForm())


@bp.post("/events/orders/<public_id>/attendees")
@limiter.limit("30/minute")
def save_attendee_names(public_id: str):
    key = request.args.get("key")
    order = services.order_for(public_id, current_user, key)
    if not is_paid(order.status):
        abort(404)
    form = AttendeeNamesForm()
    if not form.validate_on_submit():
        return _names_page(order, key, form, 400)
    names = {}
    for field_name, value in request.form.items():
        number = field_name.removeprefix("name-")
        if field_name.startswith("name-") and number.isdigit() and len(number) < 12:
            names[int(number)] = value
    try:
        changed = attendees.rename(
            services.event_of(order), services.tickets_of(order), names
        )
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return _names_page(order, key, form, exc.status)
    db.session.commit()
    flash(
        _("%(n)s attendee name(s) corrected.", n=changed)
        if changed
        else _("Nothing changed."),
        "success",
    )
    return redirect(
        url_for("events.order_status", public_id=order.public_id, key=key), 303
    )

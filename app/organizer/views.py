"""Organizer pages: dashboard, event vacancies and sales, orders, order actions.

Only members of an organization (and admins) get in, and only to their
organizations' events, as far as their role allows (`app.organizer.access`);
everyone else gets the same 404 as a missing id. Actions are POST forms with a
CSRF token; their results and refusals come back as flash messages on the order
page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.i18n.labels import label
from app.order_views.refund_form import parse_refund_form, refund_form_view
from app.orders.states import OPEN_ORDER_STATUSES
from app.organizer import access, export, services
from app.organizer.charts import sales_chart
from app.organizer.forms import ActionForm, OrderFilterForm, RefundForm, ResendForm
from app.organizer.roles import EVENTS, MEMBERS, ORDERS
from app.services_errors import NotFound, ServiceError

bp = Blueprint("organizer", __name__)


def organizer_required(view):
    """Log in first; then anyone who is no organization's member sees a 404."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not access.is_member(current_user):
            raise NotFound("NOT_FOUND", _("We could not find that page."))
        return view(*args, **kwargs)

    return wrapped


@bp.app_context_processor
def _nav() -> dict:
    """The "Organizer" link, for members of an organization (asked only when a
    page shows the signed-in menu)."""
    return {"organization_member": lambda: access.is_member(current_user)}


def _charts(series: dict, currencies: set[str], title: str) -> list:
    """One chart per currency (amounts in different currencies do not add up)."""
    return [
        (c, sales_chart(series.get(c) or services.empty_series(), c, f"{title} ({c})"))
        for c in sorted(currencies | set(series))
    ]


@bp.get("/")
@organizer_required
def dashboard():
    events = services.organizer_events(current_user, ORDERS)
    summaries = services.summarise(events)
    series = services.sales_per_day([e.id for e in events])
    mine = access.memberships(current_user)
    return render_template(
        "organizer/dashboard.html",
        manageable={e.id for e in services.organizer_events(current_user, EVENTS)},
        can_create=current_user.is_organizer or any(m.role in EVENTS for m in mine),
        teams=[m.organization for m in mine if m.role in MEMBERS],
        summaries=summaries,
        totals=services.sales_totals(summaries),
        charts=_charts(
            series, {e.currency for e in events}, _("Sales per day, last 30 days")
        ),
    )


@bp.get("/events/<int:event_id>")
@organizer_required
def event(event_id: int):
    event = access.require_event_role(current_user, event_id, ORDERS)
    (summary,) = services.summarise([event])
    series = services.sales_per_day([event.id])
    return render_template(
        "organizer/event.html",
        event=event,
        summary=summary,
        charts=_charts(series, {event.currency}, _("Sales per day, last 30 days")),
    )


def _filters() -> OrderFilterForm:
    form = OrderFilterForm(formdata=request.args)
    if not form.validate():
        problems = "; ".join(f"{k}: {', '.join(v)}" for k, v in form.errors.items())
        raise ServiceError(
            "INVALID_FILTER",
            _("Invalid filter (%(problems)s).", problems=problems),
            400,
        )
    return form


@bp.get("/events/<int:event_id>/orders")
@organizer_required
def orders(event_id: int):
    event = access.require_event_role(current_user, event_id, ORDERS)
    form = _filters()
    status, q, page = form.values()
    result = services.list_orders(event, status, q, page)

    def page_url(n: int) -> str:
        args = {k: v for k, v in (("status", status), ("q", q)) if v}
        return url_for("organizer.orders", event_id=event.id, page=n, **args)

    return render_template(
        "organizer/orders.html",
        event=event,
        form=form,
        result=result,
        page_url=page_url,
        csv_url=url_for(
            "organizer.orders_csv",
            event_id=event.id,
            **{k: v for k, v in (("status", status), ("q", q)) if v},
        ),
    )


@bp.get("/events/<int:event_id>/orders.csv")
@organizer_required
def orders_csv(event_id: int):
    event = access.require_event_role(current_user, event_id, ORDERS)
    status, q, _page = _filters().values()
    body = export.export_csv(event, status, q)
    suffix = f"-{status}" if status else ""
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": (
                f'attachment; filename="event-{event.id}-orders{suffix}.csv"'
            ),
            "Cache-Control": "no-store",
        },
    )


@bp.get("/orders/<int:order_id>")
@organizer_required
def order(order_id: int):
    order, event = access.require_order_role(current_user, order_id, ORDERS)
    view = services.order_view(order, event)
    return render_template(
        "organizer/order.html",
        v=view,
        order=order,
        event=event,
        open_statuses=OPEN_ORDER_STATUSES,
        resend_form=ResendForm.fresh(),
        refund_view=refund_form_view(order),
        action_form=ActionForm(formdata=None),
    )


def _act(order_id: int, form_class, action: Callable, done: Callable[..., str]):
    """Load the order (404 if not the caller's), check the form, run the action,
    commit, and come back to the order page with what happened."""
    order, _event = access.require_order_role(current_user, order_id, ORDERS)
    form = form_class()
    if not form.validate_on_submit():
        abort(400)
    try:
        result = action(order, form)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(done(result), "success")
    return redirect(url_for("organizer.order", order_id=order_id), 303)


@bp.post("/orders/<int:order_id>/resend")
@organizer_required
def resend(order_id: int):
    return _act(
        order_id,
        ResendForm,
        lambda order, form: services.resend_tickets(order, form.nonce.data),
        lambda _result: _("The tickets are on their way to the customer again."),
    )


@bp.post("/orders/<int:order_id>/cancel")
@organizer_required
def cancel(order_id: int):
    return _act(
        order_id,
        ActionForm,
        lambda order, form: services.cancel_unpaid(order),
        lambda _result: _("The order was cancelled and its tickets released."),
    )


@bp.post("/orders/<int:order_id>/refund")
@organizer_required
def refund(order_id: int):
    """Refund the whole order, some of its tickets, or an amount (the form's
    lines and amount); a double submit of one form refunds once."""
    return _act(
        order_id,
        RefundForm,
        lambda order, form: services.refund(
            order, parse_refund_form(request.form, order), current_user.id
        ),
        services.refund_done,
    )


@bp.post("/orders/<int:order_id>/payments/<int:payment_id>/check")
@organizer_required
def check_payment(order_id: int, payment_id: int):
    return _act(
        order_id,
        ActionForm,
        lambda order, form: services.check_payment(order, payment_id),
        lambda outcome: _(
            "Checked with the gateway: %(outcome)s.",
            outcome=label(outcome, "check_outcome"),
        ),
    )

"""Organizer pages for an event's promo codes: list, create, edit, deactivate.

Like the rest of event set-up, every page loads its event through
`app.organizer.access` with the `EVENTS` capability (owners and managers): staff
and check-in members get 403, members of other organizations 404. Every form
carries a CSRF token; every change is audited (`app.organizer.promotions`).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.organizer import access, manage, promotions
from app.organizer.manage_forms import ConfirmForm, PromotionForm
from app.organizer.manage_views import refuse_form
from app.organizer.roles import EVENTS
from app.organizer.views import organizer_required
from app.services_errors import ServiceError

bp = Blueprint("organizer_promotions", __name__)


def _data(form: PromotionForm) -> dict:
    return {
        "code": form.code.data,
        "kind": form.kind.data,
        "value": form.value.data,
        "max_uses": form.max_uses.data,
        "per_user_limit": form.per_user_limit.data,
        "starts_at": form.starts_at.data,
        "ends_at": form.ends_at.data,
    }


def _back(event_id: int):
    return redirect(url_for("organizer_promotions.index", event_id=event_id), 303)


def _form_page(context: dict, status: int = 200):
    return render_template("organizer/promotion_form.html", **context), status


@bp.get("/events/<int:event_id>/promotions")
@organizer_required
def index(event_id: int):
    event = access.require_event_role(current_user, event_id, EVENTS)
    return render_template(
        "organizer/promotions.html",
        event=event,
        promotions=promotions.of_event(event),
        action_form=ConfirmForm(),
    )


@bp.route("/events/<int:event_id>/promotions/new", methods=["GET", "POST"])
@organizer_required
def new(event_id: int):
    event = access.require_event_role(current_user, event_id, EVENTS)
    form = PromotionForm()
    context = {"event": event, "form": form, "promotion": None}
    if form.validate_on_submit():
        try:
            promotions.create(event, _data(form))
        except ServiceError as exc:
            return refuse_form(exc, "organizer/promotion_form.html", **context)
        db.session.commit()
        flash(_("The promotion was added."), "success")
        return _back(event.id)
    return _form_page(context, 400 if form.is_submitted() else 200)


@bp.route(
    "/events/<int:event_id>/promotions/<int:promotion_id>/edit",
    methods=["GET", "POST"],
)
@organizer_required
def edit(event_id: int, promotion_id: int):
    event = access.require_event_role(current_user, event_id, EVENTS)
    promo = promotions.promotion_of(event, promotion_id)
    form = PromotionForm()
    context = {"event": event, "form": form, "promotion": promo}
    if not form.is_submitted():
        for name in ("code", "kind", "max_uses", "per_user_limit"):
            getattr(form, name).data = getattr(promo, name)
        form.value.data = promotions.value_text(promo)
        for name in ("starts_at", "ends_at"):
            getattr(form, name).data = manage.to_local(
                getattr(promo, name), event.timezone
            )
        return _form_page(context)
    if not form.validate_on_submit():
        return _form_page(context, 400)
    try:
        changed = promotions.update(event, promo, _data(form))
    except ServiceError as exc:
        return refuse_form(exc, "organizer/promotion_form.html", **context)
    db.session.commit()
    flash(_("Saved.") if changed else _("Nothing changed."), "success")
    return _back(event.id)


def _set_active(event_id: int, promotion_id: int, active: bool):
    event = access.require_event_role(current_user, event_id, EVENTS)
    promo = promotions.promotion_of(event, promotion_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    promotions.set_active(promo, active)
    db.session.commit()
    flash(
        _("The promotion is active again.")
        if active
        else _("The promotion is deactivated; its code is no longer accepted."),
        "success",
    )
    return _back(event.id)


@bp.post("/events/<int:event_id>/promotions/<int:promotion_id>/deactivate")
@organizer_required
def deactivate(event_id: int, promotion_id: int):
    return _set_active(event_id, promotion_id, False)


@bp.post("/events/<int:event_id>/promotions/<int:promotion_id>/activate")
@organizer_required
def activate(event_id: int, promotion_id: int):
    return _set_active(event_id, promotion_id, True)

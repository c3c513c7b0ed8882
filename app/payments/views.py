"""Pages around a payment: the gateway hand-off and the shared result page."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request
from flask_login import current_user

from app.extensions import db
from app.orders.services import can_view, get_order_for
from app.payments.browser import remember_order
from app.payments.models import Payment
from app.payments.states import HANDOFF_STATUSES

bp = Blueprint("payments", __name__)


@bp.get("/payments/<int:payment_id>/handoff")
def handoff(payment_id: int):
    """eSewa: an auto-submitting form (with a button for browsers without
    JavaScript); redirect gateways: straight to the hosted page."""
    payment = db.session.get(Payment, payment_id)
    key = request.args.get("key")
    if payment is None or not can_view(payment.order, current_user, key):
        abort(404)
    remember_order(payment.order)
    if payment.status not in HANDOFF_STATUSES:
        return redirect(
            f"/payments/result/{payment.order.public_id}?key={payment.order.order_key}"
        )
    if payment.initiation_type == "redirect":
        return redirect(payment.next_step)
    if payment.initiation_type in ("direct", "instructions"):
        return redirect(
            f"/payments/result/{payment.order.public_id}?key={payment.order.order_key}"
        )
    return render_template(
        "payments/handoff.html", payment=payment, order=payment.order
    )


@bp.get("/payments/result/<public_id>")
def result(public_id: str):
    key = request.args.get("key")
    order = get_order_for(None, public_id, current_user, key)
    return render_template(
        "payments/result.html",
        order=order,
        key=order.order_key,
        result=request.args.get("result"),
    )

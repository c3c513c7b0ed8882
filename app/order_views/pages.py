"""My orders, the order page (also by order key), pay again, my library."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from app.extensions import db
from app.invoicing.services import documents_of
from app.library.services import library_for
from app.order_views.timeline import customer_timeline
from app.orders.models import Order
from app.orders.services import get_order_for
from app.orders.states import PAYABLE_ORDER_STATUSES
from app.payments import methods
from app.payments.cancellation import user_cancel
from app.payments.handoff import initiate_payment, order_facts

bp = Blueprint("orders", __name__)


@bp.get("/orders")
@login_required
def my_orders():
    orders = db.session.scalars(
        select(Order).where(Order.user_id == current_user.id).order_by(Order.id.desc())
    ).all()
    return render_template("orders/list.html", orders=orders)


@bp.get("/orders/<public_id>")
def order_page(public_id: str):
    key = request.args.get("key")
    order = get_order_for(None, public_id, current_user, key)
    pay_methods = (
        methods.methods_for(order_facts(order))
        if order.status in PAYABLE_ORDER_STATUSES
        else []
    )
    return render_template(
        "orders/detail.html",
        order=order,
        key=order.order_key,
        methods=pay_methods,
        timeline=customer_timeline(order),
        documents=documents_of(order.id),
    )


@bp.post("/orders/<public_id>/pay")
def pay_again(public_id: str):
    key = request.args.get("key") or request.form.get("key")
    order = get_order_for(None, public_id, current_user, key)
    if not FlaskForm().validate_on_submit():
        abort(400)
    method = methods.resolve_method(request.form.get("method", ""))
    payment = initiate_payment(order, method)
    db.session.commit()
    return redirect(
        url_for("payments.handoff", payment_id=payment.id, key=order.order_key)
    )


@bp.post("/orders/<public_id>/cancel")
def cancel(public_id: str):
    key = request.args.get("key") or request.form.get("key")
    order = get_order_for(None, public_id, current_user, key)
    if not FlaskForm().validate_on_submit():
        abort(400)
    user_cancel(order)
    db.session.commit()
    flash(_("Your order was cancelled."), "info")
    return redirect(
        url_for("orders.order_page", public_id=order.public_id, key=order.order_key)
    )


@bp.get("/library")
@login_required
def library():
    return render_template("orders/library.html", accesses=library_for(current_user.id))

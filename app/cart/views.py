"""Cart pages and checkout from the cart."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app import form_tokens
from app.cart import services
from app.cart.forms import CheckoutForm
from app.checkout.services import checkout_cart
from app.extensions import db, limiter
from app.money import parse_amount
from app.payments import methods
from app.services_errors import ServiceError

bp = Blueprint("cart", __name__)


def _method_choices(cart_data: dict):
    if not cart_data["currency"]:
        return []
    facts = methods.OrderFacts(
        currency=cart_data["currency"],
        total=parse_amount(cart_data["subtotal"], cart_data["currency"]),
        product_types=frozenset(i["type"] for i in cart_data["items"]),
    )
    return [(m.code, m.name) for m in methods.methods_for(facts)]


@bp.get("/cart")
@login_required
def view():
    cart = services.get_cart(current_user.id)
    data = services.cart_dict(cart)
    form = CheckoutForm()
    form.method.choices = _method_choices(data)
    if form.method.choices:
        form.method.data = form.method.choices[0][0]
    form.form_token.data = form_tokens.issue("cart")
    return render_template("cart/cart.html", cart=cart, data=data, form=form)


@bp.post("/cart/add")
@login_required
def add():
    if not FlaskForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return redirect(request.referrer or url_for("catalog.home"))
    try:
        product_id = int(request.form.get("product_id", ""))
    except ValueError:
        flash(_("Choose a product to add."), "error")
        return redirect(url_for("catalog.home")), 302
    try:
        services.add_item(current_user.id, product_id, 1)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("catalog.home"))
    db.session.commit()
    flash(_("Added to your cart."), "success")
    return redirect(url_for("cart.view"))


@bp.post("/cart/remove/<int:product_id>")
@login_required
def remove(product_id: int):
    if FlaskForm().validate_on_submit():
        try:
            services.remove_item(current_user.id, product_id)
            db.session.commit()
            flash(_("Removed from your cart."), "info")
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
    return redirect(url_for("cart.view"))


@bp.post("/checkout")
@login_required
@limiter.limit("20/minute")
def checkout():
    form = CheckoutForm()
    data = services.cart_dict(services.get_cart(current_user.id))
    form.method.choices = _method_choices(data)
    if not form.validate_on_submit():
        flash(_("Choose a payment method."), "error")
        return redirect(url_for("cart.view"))
    if not form_tokens.consume("cart", form.form_token.data):
        flash(_("This checkout was already submitted; see your orders below."), "info")
        return redirect(url_for("orders.my_orders"))
    try:
        order, payment = checkout_cart(
            current_user, form.method.data, None, form.promo_code.data or None
        )
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("cart.view"))
    db.session.commit()
    return redirect(
        url_for("payments.handoff", payment_id=payment.id, key=order.order_key)
    )

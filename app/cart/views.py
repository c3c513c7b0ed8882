"""Cart pages and checkout from the cart.

Anyone may fill a cart: a visitor's lines live in the session (`app.cart.guest`)
and move into their own cart when they log in or register. Paying needs an
account (seed 001: cart checkout is for a customer's active cart). Before paying
the page shows what checkout will decide: owned items, the promo code's
discount (or why it does not apply) and the total (`app.cart.pricing`).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app import form_tokens
from app.cart import guest, pricing, services
from app.cart.forms import CheckoutForm
from app.checkout.services import checkout_cart
from app.digits import ascii_int
from app.extensions import db, limiter
from app.payments import methods
from app.services_errors import ServiceError
from app.urls import safe_next

bp = Blueprint("cart", __name__)

PROMO_KEY = "cart_promo"  # the code the shopper asked to preview, in the session


@bp.app_template_global("cart_count")
def cart_count() -> int:
    """Lines in the cart, for the navigation (one query for a user)."""
    if current_user.is_authenticated:
        return services.item_count(current_user.id)
    return guest.count()


def _products() -> list:
    if current_user.is_authenticated:
        cart = services.get_cart(current_user.id)
        return [item.product for item in cart.items] if cart else []
    return guest.products()


def _method_choices(quote: pricing.Quote) -> list[tuple[str, str]]:
    if not quote.currency:
        return []
    facts = methods.OrderFacts(
        currency=quote.currency,
        total=quote.total,
        product_types=frozenset(line.product.type for line in quote.lines),
    )
    return [(m.code, m.name) for m in methods.methods_for(facts)]


@bp.get("/cart")
def view():
    user_id = current_user.id if current_user.is_authenticated else None
    quote = pricing.quote(_products(), user_id, session.get(PROMO_KEY))
    form = CheckoutForm(formdata=None)
    form.method.choices = _method_choices(quote)
    if form.method.choices:
        form.method.data = form.method.choices[0][0]
    form.promo_code.data = quote.promo_code or ""
    if user_id:
        form.form_token.data = form_tokens.issue("cart")
    return render_template("cart/cart.html", quote=quote, form=form)


def _product_id() -> int | None:
    raw = request.form.get("product_id", "")
    return ascii_int(raw, 9)


def _back() -> str:
    """Where an add from a product page returns when it fails: that page."""
    target = request.form.get("next") or ""
    return safe_next(target, url_for("catalog.home"))


@bp.post("/cart/add")
def add():
    """Add a course or book; a visitor's goes into the session cart."""
    if not FlaskForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return redirect(_back())
    product_id = _product_id()
    if product_id is None:
        flash(_("Choose a product to add."), "error")
        return redirect(url_for("catalog.home"))
    try:
        if current_user.is_authenticated:
            services.add_item(current_user.id, product_id, 1)
        else:
            guest.add(product_id)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(_back())
    db.session.commit()
    flash(_("Added to your cart."), "success")
    return redirect(url_for("cart.view"))


@bp.post("/cart/remove/<int:product_id>")
def remove(product_id: int):
    if FlaskForm().validate_on_submit():
        if not current_user.is_authenticated:
            guest.remove(product_id)
            flash(_("Removed from your cart."), "info")
            return redirect(url_for("cart.view"))
        try:
            services.remove_item(current_user.id, product_id)
            db.session.commit()
            flash(_("Removed from your cart."), "info")
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
    return redirect(url_for("cart.view"))


@bp.post("/cart/promo")
def promo():
    """Preview a promo code: remember it and show the cart with its discount (or
    the reason it does not apply). Works without JavaScript."""
    if not FlaskForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return redirect(url_for("cart.view"))
    code = (request.form.get("promo_code") or "").strip()[:40]
    if code and request.form.get("action") != "remove":
        session[PROMO_KEY] = code
    else:
        session.pop(PROMO_KEY, None)
    return redirect(url_for("cart.view") + "#promo")


def _extend_choice() -> set[int]:
    chosen = (ascii_int(v, 9) for v in request.form.getlist("extend"))
    return {n for n in chosen if n is not None}


@bp.post("/checkout")
@login_required
@limiter.limit("20/minute")
def checkout():
    form = CheckoutForm()
    quote = pricing.quote(_products(), current_user.id, None)
    form.method.choices = _method_choices(quote)
    if not form.validate_on_submit():
        flash(_("Choose a payment method."), "error")
        return redirect(url_for("cart.view"))
    if not form_tokens.consume("cart", form.form_token.data):
        flash(_("This checkout was already submitted; see your orders below."), "info")
        return redirect(url_for("orders.my_orders"))
    try:
        order, payment = checkout_cart(
            current_user,
            form.method.data,
            None,
            form.promo_code.data or None,
            extend=_extend_choice(),
            company=form.company_name.data or "",
            tax_number=form.registration_number.data or "",
        )
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        if exc.code == "PROMOTION_NOT_APPLICABLE":
            session[PROMO_KEY] = (form.promo_code.data or "")[:40]
        return redirect(url_for("cart.view"))
    session.pop(PROMO_KEY, None)
    db.session.commit()
    return redirect(
        url_for("payments.handoff", payment_id=payment.id, key=order.order_key)
    )

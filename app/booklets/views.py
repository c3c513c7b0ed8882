"""The booklet page's "Buy" form: copies, shipping address, payment method."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.booklets.forms import BuyBookletForm
from app.booklets.services import checkout_booklet, seed_status, seed_steps
from app.catalog.models import Product
from app.catalog.services import get_product_by_slug
from app.extensions import db, limiter
from app.payments import methods
from app.services_errors import ServiceError

bp = Blueprint("booklets", __name__)


def method_choices(product: Product) -> list[tuple[str, str]]:
    facts = methods.OrderFacts(
        currency=product.currency,
        total=product.price,
        product_types=frozenset({product.type}),
    )
    return [(m.code, m.name) for m in methods.methods_for(facts)]


def buy_form(product: Product) -> BuyBookletForm:
    form = BuyBookletForm()
    form.method.choices = method_choices(product)
    if current_user.is_authenticated and not form.is_submitted():
        form.name.data = form.name.data or current_user.name
        form.phone.data = form.phone.data or current_user.phone
    if form.method.choices and not form.method.data:
        form.method.data = form.method.choices[0][0]
    return form


@bp.get("/booklets/<slug>/buy")
@login_required
def buy_page(slug: str):
    product = get_product_by_slug(slug)
    if product.type != "booklet":
        return redirect(url_for("catalog.product", slug=slug))
    return render_template("booklets/buy.html", product=product, form=buy_form(product))


@bp.post("/booklets/<slug>/buy")
@login_required
@limiter.limit("20/minute")
def buy(slug: str):
    product = get_product_by_slug(slug)
    form = buy_form(product)
    if not form.validate_on_submit():
        flash(_("Please check the form."), "error")
        return render_template("booklets/buy.html", product=product, form=form), 400
    try:
        order, payment = checkout_booklet(
            current_user,
            product.id,
            form.quantity.data,
            form.address(),
            form.method.data,
        )
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return (
            render_template("booklets/buy.html", product=product, form=form),
            exc.status,
        )
    db.session.commit()
    return redirect(
        url_for("payments.handoff", payment_id=payment.id, key=order.order_key)
    )


@bp.app_context_processor
def _booklet_helpers() -> dict:
    return {"booklet_steps": seed_steps, "booklet_status": seed_status}

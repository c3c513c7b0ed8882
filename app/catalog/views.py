"""Catalog pages: home grouped by type, product pages, events."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, render_template
from flask_login import current_user

from app.catalog import services
from app.library.services import active_accesses

bp = Blueprint("catalog", __name__)

TYPE_LABELS = {
    "course": "Courses",
    "digital_book": "Digital books",
    "training": "Trainings",
    "booklet": "Printed booklets",
}


@bp.get("/")
def home():
    products = services.active_products()
    order = list(TYPE_LABELS)
    products.sort(key=lambda p: (order.index(p.type) if p.type in order else 99, p.id))
    groups = [
        (TYPE_LABELS.get(t, t), list(items))
        for t, items in groupby(products, key=lambda p: p.type)
    ]
    return render_template(
        "catalog/home.html", groups=groups, events=services.active_events()
    )


@bp.get("/products/<slug>")
def product(slug: str):
    product = services.get_product_by_slug(slug)
    if product.type == "training":
        product = services.get_product(product.id)
    access = None
    if current_user.is_authenticated and product.cart_eligible:
        access = active_accesses(current_user.id, [product.id]).get(product.id)
    return render_template("catalog/product.html", product=product, access=access)


@bp.get("/events")
def events():
    return render_template("catalog/events.html", events=services.active_events())

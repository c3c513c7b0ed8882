"""Catalog pages: home grouped by type, product pages, events.

The content of each page (what the catalog says, the same for every visitor)
comes from `app.page_cache`, rendered once per catalog generation; what belongs
to the visitor (navigation, cart, CSRF tokens, ownership notes) is rendered on
every request. Each page carries an ETag built from everything it depends on,
so a browser revalidating an unchanged page gets a 304 without a render.
"""

from __future__ import annotations

import time
from itertools import groupby

from flask import Blueprint, make_response, render_template, request, session
from flask_login import current_user

from app import page_cache
from app.cart.views import cart_count
from app.catalog import services
from app.i18n.preferences import current_locale, current_timezone
from app.library.services import active_accesses

bp = Blueprint("catalog", __name__)

TYPE_LABELS = {
    "course": "Courses",
    "digital_book": "Digital books",
    "training": "Trainings",
    "booklet": "Printed booklets",
}
# A page revalidated with a 304 keeps the CSRF tokens of its first render:
# validators change every half hour, well inside Flask-WTF's one-hour limit.
_TOKEN_WINDOW_SECONDS = 1800


def _key(*parts: object) -> tuple:
    return (*parts, current_locale(), current_timezone())


def _home_body() -> str:
    products = services.active_products()
    order = list(TYPE_LABELS)
    products.sort(key=lambda p: (order.index(p.type) if p.type in order else 99, p.id))
    groups = [
        (TYPE_LABELS.get(t, t), list(items))
        for t, items in groupby(products, key=lambda p: p.type)
    ]
    return render_template(
        "catalog/_home_body.html", groups=groups, events=services.active_events()
    )


def _conditional(gen: str | None, render):
    """Answer 304 when the browser's copy is current, else render with
    validators. No validators while flashes wait (they show once)."""
    if gen is None or session.get("_flashes"):
        return render()
    user = current_user
    visitor = (
        (user.id, user.name, user.email_verified_at, user.is_admin, user.is_organizer)
        if user.is_authenticated
        else None
    )
    tag = page_cache.etag(
        gen,
        request.full_path,
        _key(),
        visitor,
        cart_count(),
        session.get("csrf_token"),
        int(time.time()) // _TOKEN_WINDOW_SECONDS,
    )
    if request.if_none_match.contains(tag):
        response = make_response("", 304)
    else:
        response = make_response(render())
    response.set_etag(tag)
    response.last_modified = page_cache.last_modified(gen)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/")
def home():
    gen = page_cache.generation()

    def render():
        body = page_cache.fragment(gen, _key("home"), _home_body)
        return render_template("catalog/home.html", body=body)

    return _conditional(gen, render)


def _product_parts(slug: str) -> tuple[dict, str, str]:
    product = services.get_product_by_slug(slug)
    if product.type == "training":
        product = services.get_product(product.id)
    info = {
        "id": product.id,
        "title": product.title,
        "cart_eligible": product.cart_eligible,
    }
    head = render_template("catalog/_product_head.html", product=product)
    tail = render_template("catalog/_product_tail.html", product=product)
    return info, head, tail


@bp.get("/products/<slug>")
def product(slug: str):
    gen = page_cache.generation()

    def render():
        info, head, tail = page_cache.fragment(
            gen, _key("product", slug), lambda: _product_parts(slug)
        )
        access = None
        if current_user.is_authenticated and info["cart_eligible"]:
            access = active_accesses(current_user.id, [info["id"]]).get(info["id"])
        return render_template(
            "catalog/product.html",
            product=info,
            access=access,
            head=head,
            tail=tail,
        )

    if current_user.is_authenticated:
        return render()  # what the visitor owns changes without the catalog
    return _conditional(gen, render)


@bp.get("/events")
def events():
    gen = page_cache.generation()

    def render():
        body = page_cache.fragment(
            gen,
            _key("events"),
            lambda: render_template(
                "catalog/_events_body.html", events=services.active_events()
            ),
        )
        return render_template("catalog/events.html", body=body)

    return _conditional(gen, render)

"""Cart API for the mobile client."""

from __future__ import annotations

from flask import Blueprint

from app.cart import services
from app.extensions import db
from app.http.auth import api_user
from app.http.parsing import field, json_body, positive_id
from app.http.responses import ok

bp = Blueprint("cart_api", __name__)


@bp.get("/cart")
def get_cart():
    user = api_user()
    return ok(services.cart_dict(services.get_cart(user.id)))


@bp.post("/cart/items")
def add_item():
    user = api_user()
    body = json_body()
    product_id = positive_id(body, "productId")
    quantity = field(body, "quantity", int, required=False, default=1)
    services.add_item(user.id, product_id, quantity)
    db.session.commit()
    return ok(services.cart_dict(services.get_cart(user.id)), 201)


@bp.delete("/cart/items/<int:product_id>")
def remove_item(product_id: int):
    user = api_user()
    services.remove_item(user.id, product_id)
    db.session.commit()
    return ok(services.cart_dict(services.get_cart(user.id)))

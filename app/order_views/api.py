"""Order status for polling clients (result page, mobile)."""

from __future__ import annotations

from flask import Blueprint, request
from sqlalchemy import select

from app.extensions import db
from app.http.auth import api_user
from app.http.responses import ok
from app.order_views.serializers import order_dict
from app.orders.models import Order
from app.orders.services import get_order_for

bp = Blueprint("orders_api", __name__)


@bp.get("/orders/<int:order_id>")
def get_order(order_id: int):
    user = api_user(optional=True)
    order = get_order_for(order_id, None, user, request.args.get("key"))
    return ok(order_dict(order))


@bp.get("/orders")
def list_orders():
    user = api_user()
    orders = db.session.scalars(
        select(Order)
        .where(Order.user_id == user.id)
        .order_by(Order.id.desc())
        .limit(100)
    )
    return ok([order_dict(o) for o in orders])

"""Access grants: one row per user and product, extended by each new purchase."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.db import utcnow
from app.extensions import db
from app.library.models import ProductAccess


def grant_access(
    user_id: int, product_id: int, order_id: int, validity_days: int | None
) -> ProductAccess:
    """Upsert access for a paid order.

    A replay for the order that already granted it changes nothing (seed 001's
    "access grant logic skips extension when product_access.orderId already
    matches"); a new order extends from the later of now and the current end.
    """
    access = db.session.scalar(
        select(ProductAccess).where(
            ProductAccess.user_id == user_id, ProductAccess.product_id == product_id
        )
    )
    now = utcnow()
    if access is not None and access.order_id == order_id:
        return access
    if validity_days is None:
        valid_until = None
    else:
        start = now
        if access is not None and access.valid_until and access.valid_until > now:
            start = access.valid_until
        valid_until = start + dt.timedelta(days=validity_days)
    access_type = "lifetime" if validity_days is None else "limited"
    if access is None:
        access = ProductAccess(
            user_id=user_id,
            product_id=product_id,
            order_id=order_id,
            valid_until=valid_until,
            access_type=access_type,
        )
        try:
            with db.session.begin_nested():
                db.session.add(access)
                db.session.flush()
            return access
        except IntegrityError:
            access = db.session.scalar(
                select(ProductAccess).where(
                    ProductAccess.user_id == user_id,
                    ProductAccess.product_id == product_id,
                )
            )
            if access.order_id == order_id:
                return access
    if access.valid_until is None and access.revoked_at is None:
        access.order_id = order_id  # lifetime access cannot be extended further
        return access
    access.order_id = order_id
    access.valid_until = valid_until
    access.access_type = access_type
    access.revoked_at = None
    return access


def has_access(user_id: int, product_id: int) -> bool:
    access = db.session.scalar(
        select(ProductAccess).where(
            ProductAccess.user_id == user_id, ProductAccess.product_id == product_id
        )
    )
    if access is None or access.revoked_at is not None:
        return False
    return access.valid_until is None or access.valid_until > utcnow()


def active_accesses(user_id: int, product_ids: list[int]) -> dict[int, ProductAccess]:
    """The user's live access rows (not revoked, not expired) for these
    products, by product id: what the cart and checkout warn about."""
    if not product_ids:
        return {}
    now = utcnow()
    rows = db.session.scalars(
        select(ProductAccess).where(
            ProductAccess.user_id == user_id,
            ProductAccess.product_id.in_(product_ids),
            ProductAccess.revoked_at.is_(None),
            (ProductAccess.valid_until.is_(None)) | (ProductAccess.valid_until > now),
        )
    )
    return {row.product_id: row for row in rows}


def library_for(user_id: int) -> list[ProductAccess]:
    return list(
        db.session.scalars(
            select(ProductAccess)
            .where(ProductAccess.user_id == user_id)
            .order_by(ProductAccess.created_at.desc())
        )
    )


def revoke_for_order(order_id: int, product_ids: set[int] | None = None) -> None:
    """End the access an order granted: to all its products, or to these."""
    query = select(ProductAccess).where(ProductAccess.order_id == order_id)
    if product_ids is not None:
        query = query.where(ProductAccess.product_id.in_(sorted(product_ids)))
    for access in db.session.scalars(query):
        access.revoked_at = utcnow()

"""A user's cart of digital items."""

from __future__ import annotations

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Product
from app.db import created_at, intpk, updated_at
from app.extensions import db


class Cart(db.Model):
    __tablename__ = "carts"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    items: Mapped[list[CartItem]] = relationship(
        back_populates="cart", order_by="CartItem.id", cascade="all, delete-orphan"
    )


class CartItem(db.Model):
    __tablename__ = "cart_items"
    __table_args__ = (UniqueConstraint("cart_id", "product_id"),)

    id: Mapped[intpk]
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[created_at]

    cart: Mapped[Cart] = relationship(back_populates="items")
    # Every reader of a cart line needs its product: load it in the same query
    # (one JOIN instead of one query per line).
    product: Mapped[Product] = relationship(lazy="joined")

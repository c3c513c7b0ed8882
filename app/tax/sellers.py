"""Seller keys: who issues the invoice for an order.

"shop" sells the catalog; "organization:<id>" sells its events' tickets (each
organization has its own tax settings and invoice series); "merchant:<id>" is
an API merchant's own payment, for which the shop issues nothing."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.tax.models import TaxConfig

SHOP = "shop"


def organization_seller(organization_id: int) -> str:
    return f"organization:{organization_id}"


def merchant_seller(merchant_id: int) -> str:
    return f"merchant:{merchant_id}"


def issues_invoices(seller: str) -> bool:
    return not seller.startswith("merchant:")


def config_for(seller: str) -> TaxConfig | None:
    return db.session.scalar(select(TaxConfig).where(TaxConfig.seller == seller))

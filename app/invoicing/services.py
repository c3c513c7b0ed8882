"""Issuing documents: an invoice when an order is paid, a corrected invoice when
the buyer adds business details, a credit note when money goes back.

Each runs inside the caller's transaction (the one that paid or refunded), so
the number is taken and the document written together, or not at all."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import column, select, table

from app.conditional import guarded_update
from app.db import utcnow
from app.extensions import db
from app.invoicing.models import Invoice
from app.invoicing.numbering import next_number
from app.invoicing.snapshot import (
    buyer_part,
    country_of,
    credit_lines,
    invoice_lines,
    rate_totals,
    seller_part,
)
from app.invoicing.states import DocumentKind, DocumentStatus
from app.orders.models import Order
from app.services_errors import ServiceError
from app.tax import registration
from app.tax.fiscal import fiscal_year, local_date
from app.tax.models import TaxConfig
from app.tax.sellers import SHOP, config_for, issues_invoices

SHOP_NAME = "Storefront"
CREDIT_PREFIX = "CN"
_organizations = table("organizations", column("id"), column("name"))


def current_invoice(order_id: int) -> Invoice | None:
    """The order's invoice in force (the latest correction, if any)."""
    return db.session.scalar(
        select(Invoice)
        .where(
            Invoice.order_id == order_id,
            Invoice.kind == DocumentKind.INVOICE,
            Invoice.status == DocumentStatus.ISSUED,
        )
        .order_by(Invoice.id.desc())
        .limit(1)
    )


def documents_of(order_id: int) -> list[Invoice]:
    """Every document of an order, oldest first (invoices, corrections, credit
    notes)."""
    return list(
        db.session.scalars(
            select(Invoice).where(Invoice.order_id == order_id).order_by(Invoice.id)
        )
    )


def _seller_name(seller: str) -> str:
    if seller == SHOP:
        return SHOP_NAME
    kind, _sep, ident = seller.partition(":")
    if kind == "organization" and ident.isdigit():
        organizations = _organizations.c
        name = db.session.scalar(
            select(organizations.name).where(organizations.id == int(ident))
        )
        return name or ""
    return ""


def _new_document(
    order: Order,
    kind: DocumentKind,
    config: TaxConfig | None,
    lines: list[dict],
    *,
    original: Invoice | None = None,
    refund_id: int | None = None,
    now: dt.datetime | None = None,
) -> Invoice:
    now = now or utcnow()
    country = country_of(config, order.currency)
    start = config.fiscal_year_start_month if config else 1
    year = fiscal_year(country, local_date(country, now), start)
    number = next_number(order.seller, kind, year)
    prefix = CREDIT_PREFIX if kind == DocumentKind.CREDIT_NOTE else None
    prefix = prefix or (config.invoice_prefix if config else "") or "INV"
    rates = rate_totals(lines)
    document = Invoice(
        order_id=order.id,
        seller=order.seller,
        kind=kind,
        status=DocumentStatus.ISSUED,
        fiscal_year=year,
        number=number,
        display_number=f"{prefix}-{year}-{number:06d}",
        original_id=original.id if original else None,
        refund_id=refund_id,
        issued_at=now,
        locale=order.locale,
        currency=order.currency,
        net=sum(r["net"] for r in rates),
        tax=sum(r["tax"] for r in rates),
        total=sum(r["gross"] for r in rates),
        buyer_name=(order.buyer_company or order.customer_name)[:200],
        data={
            "seller": seller_part(config, order.currency, _seller_name(order.seller)),
            "buyer": buyer_part(order),
            "lines": lines,
            "rates": rates,
            "order": order.public_id,
            "original": original.display_number if original else None,
            "timezone": order.timezone,
        },
    )
    db.session.add(document)
    db.session.flush()
    return document


def issue_invoice(order: Order) -> Invoice | None:
    """The invoice of a paid order (once: a second call returns the first)."""
    if not issues_invoices(order.seller):
        return None
    existing = current_invoice(order.id)
    if existing is not None:
        return existing
    config = config_for(order.seller)
    return _new_document(order, DocumentKind.INVOICE, config, invoice_lines(order))


def issue_credit_note(
    order: Order, refund_id: int, lines: dict[int, int], amount: int
) -> Invoice | None:
    """The credit note of one refund, referencing the invoice in force: only
    the refunded lines (or, for an amount-only refund, the amount spread over
    the lines)."""
    original = current_invoice(order.id)
    if original is None:
        return None
    existing = db.session.scalar(select(Invoice).where(Invoice.refund_id == refund_id))
    if existing is not None:
        return existing
    config = config_for(order.seller)
    rounding = config.rounding if config else "half_up"
    credited = credit_lines(order, lines, amount, rounding)
    return _new_document(
        order,
        DocumentKind.CREDIT_NOTE,
        config,
        credited,
        original=original,
        refund_id=refund_id,
    )


def set_business_details(order: Order, company: str, number: str) -> Invoice | None:
    """Record the buyer's company and registration number; a paid order's
    invoice is replaced by a corrected one that references it."""
    company = (company or "").strip()
    config = config_for(order.seller)
    country = country_of(config, order.currency)
    number = registration.normalise(country, number)
    if len(company) > 200:
        raise ServiceError(
            "VALIDATION_ERROR", _("The company name is at most 200 characters."), 422
        )
    if number and not registration.is_valid(country, number):
        raise ServiceError(
            "INVALID_REGISTRATION_NUMBER",
            _registration_hint(country),
            422,
            {"registrationNumber": number},
        )
    if number and not company:
        raise ServiceError(
            "COMPANY_REQUIRED",
            _("Enter the company name that goes with the registration number."),
            422,
        )
    if (company, number) == (order.buyer_company, order.buyer_tax_number):
        return current_invoice(order.id)
    order.buyer_company = company
    order.buyer_tax_number = number
    db.session.flush()
    previous = current_invoice(order.id)
    if previous is None:
        return None
    if not guarded_update(
        Invoice,
        previous.id,
        Invoice.status == DocumentStatus.ISSUED,
        status=DocumentStatus.SUPERSEDED,
    ):
        return current_invoice(order.id)
    return _new_document(
        order, DocumentKind.INVOICE, config, invoice_lines(order), original=previous
    )


def _registration_hint(country: str) -> str:
    if country == "JP":
        return _(
            "A qualified invoice registration number is T followed by 13 digits, "
            "and its check digit must match."
        )
    return _("A PAN/VAT number has 9 digits.")

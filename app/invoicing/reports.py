"""For staff and organizers: find documents, bundle a period's PDFs as a ZIP,
and the accountant's CSV of sales and tax per rate."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.extensions import db
from app.invoicing.models import Invoice
from app.invoicing.pdf import document_pdf, file_name
from app.invoicing.states import DocumentKind
from app.money import format_amount
from app.orders.models import Order
from app.services_errors import ServiceError

MAX_LISTED = 200
MAX_EXPORTED = 2000


def parse_period(
    start: str | None, end: str | None
) -> tuple[dt.date | None, dt.date | None]:
    """`YYYY-MM-DD` bounds, both inclusive; empty means open (422 if unreadable)."""
    try:
        first = dt.date.fromisoformat(start) if start else None
        last = dt.date.fromisoformat(end) if end else None
    except ValueError as exc:
        raise ServiceError(
            "VALIDATION_ERROR", _("Dates are written YYYY-MM-DD."), 422
        ) from exc
    if first and last and first > last:
        raise ServiceError(
            "VALIDATION_ERROR", _("The period ends before it starts."), 422
        )
    return first, last


def find(
    seller: str | None,
    query: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
    limit: int = MAX_LISTED,
) -> list[Invoice]:
    """Newest first; `seller` None means every seller (staff)."""
    stmt = select(Invoice).join(Order, Order.id == Invoice.order_id)
    if seller is not None:
        stmt = stmt.where(Invoice.seller == seller)
    text = (query or "").strip()
    if text:
        like = f"%{text}%"
        stmt = stmt.where(
            or_(
                Invoice.display_number.ilike(like),
                Invoice.buyer_name.ilike(like),
                Order.public_id.ilike(like),
                Order.customer_email.ilike(like),
            )
        )
    if start:
        stmt = stmt.where(Invoice.issued_at >= dt.datetime.combine(start, dt.time()))
    if end:
        after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
        stmt = stmt.where(Invoice.issued_at < after)
    return list(db.session.scalars(stmt.order_by(Invoice.id.desc()).limit(limit)))


def get_document(invoice_id: int, seller: str | None) -> Invoice | None:
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or (seller is not None and invoice.seller != seller):
        return None
    return invoice


def zip_of(invoices: Iterable[Invoice]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for invoice in invoices:
            bundle.writestr(file_name(invoice), document_pdf(invoice))
    return buffer.getvalue()


CSV_COLUMNS = (
    "number",
    "kind",
    "status",
    "issued_at_utc",
    "fiscal_year",
    "order",
    "buyer",
    "buyer_registration_number",
    "currency",
    "tax_rate_percent",
    "taxable_value",
    "tax",
    "total",
    "credits",
)


def tax_csv(invoices: Iterable[Invoice]) -> str:
    """One row per document and tax rate; credit notes count negative."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for invoice in sorted(invoices, key=lambda i: i.id):
        sign = -1 if invoice.kind == DocumentKind.CREDIT_NOTE else 1
        for rate in invoice.data.get("rates", []):
            writer.writerow(
                (
                    invoice.display_number,
                    invoice.kind,
                    invoice.status,
                    invoice.issued_at.isoformat(timespec="seconds"),
                    invoice.fiscal_year,
                    invoice.data.get("order", ""),
                    invoice.buyer_name,
                    invoice.data.get("buyer", {}).get("number", ""),
                    invoice.currency,
                    f"{rate['rate'] / 100:g}",
                    format_amount(sign * rate["net"], invoice.currency),
                    format_amount(sign * rate["tax"], invoice.currency),
                    format_amount(sign * rate["gross"], invoice.currency),
                    invoice.data.get("original") or "",
                )
            )
    return out.getvalue()

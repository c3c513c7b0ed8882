"""The buyer's invoices: the PDF (order page and API), credit notes, and the
business details that put a company on the invoice."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from app.extensions import db
from app.http.auth import api_user
from app.http.parsing import field, json_body
from app.http.responses import ok
from app.invoicing.models import Invoice
from app.invoicing.pdf import document_pdf, file_name
from app.invoicing.services import current_invoice, set_business_details
from app.orders.services import get_order_for
from app.services_errors import NotFound, ServiceError

bp = Blueprint("invoices", __name__)
api_bp = Blueprint("invoices_api", __name__)


def pdf_response(invoice: Invoice) -> Response:
    return Response(
        document_pdf(invoice),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{file_name(invoice)}"',
            "Cache-Control": "private, no-store",
        },
    )


def _invoice_of(order_id: int) -> Invoice:
    invoice = current_invoice(order_id)
    if invoice is None:
        raise NotFound("INVOICE_NOT_FOUND", _("This order has no invoice yet."))
    return invoice


def _document(order_id: int, invoice_id: int) -> Invoice:
    invoice = db.session.scalar(
        select(Invoice).where(Invoice.id == invoice_id, Invoice.order_id == order_id)
    )
    if invoice is None:
        raise NotFound("INVOICE_NOT_FOUND", _("No such invoice."))
    return invoice


@api_bp.get("/orders/<int:order_id>/invoice")
def api_invoice(order_id: int):
    """The order's invoice in force as a PDF (owner, order key or staff; 404
    for anyone else, as for the order itself)."""
    user = api_user(optional=True)
    order = get_order_for(order_id, None, user, request.args.get("key"))
    return pdf_response(_invoice_of(order.id))


@api_bp.post("/orders/<int:order_id>/business-details")
def api_business_details(order_id: int):
    user = api_user()
    order = get_order_for(order_id, None, user, None)
    body = json_body()
    company = field(body, "companyName", str, required=False) or ""
    number = field(body, "registrationNumber", str, required=False) or ""
    invoice = set_business_details(order, company, number)
    db.session.commit()
    return ok(
        {
            "orderId": order.id,
            "companyName": order.buyer_company,
            "registrationNumber": order.buyer_tax_number,
            "invoiceNumber": invoice.display_number if invoice else None,
        }
    )


@bp.get("/orders/<public_id>/invoice")
def invoice_pdf(public_id: str):
    order = get_order_for(None, public_id, current_user, request.args.get("key"))
    return pdf_response(_invoice_of(order.id))


@bp.get("/orders/<public_id>/documents/<int:invoice_id>")
def document_pdf_page(public_id: str, invoice_id: int):
    order = get_order_for(None, public_id, current_user, request.args.get("key"))
    return pdf_response(_document(order.id, invoice_id))


@bp.post("/orders/<public_id>/business-details")
def business_details(public_id: str):
    key = request.args.get("key") or request.form.get("key")
    order = get_order_for(None, public_id, current_user, key)
    if not FlaskForm().validate_on_submit():
        abort(400)
    back = url_for("orders.order_page", public_id=order.public_id, key=order.order_key)
    try:
        invoice = set_business_details(
            order,
            request.form.get("company_name", ""),
            request.form.get("registration_number", ""),
        )
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(back + "#business-details")
    db.session.commit()
    if invoice is not None:
        flash(_("Saved. Your corrected invoice is ready to download."), "info")
    else:
        flash(_("Saved. Your invoice will show these details."), "info")
    return redirect(back)

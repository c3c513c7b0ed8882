"""An organization's invoices (its own events' documents only) and its tax
settings. A member of several organizations picks one with `?org=<id>`;
strangers get the same 404 as for a missing organization."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.invoicing import reports
from app.invoicing.pdf import document_pdf, file_name
from app.organizer import access
from app.organizer.models import Organization
from app.organizer.roles import ORDERS, PAYOUTS
from app.organizer.tax_forms import form_for, save_form
from app.organizer.views import organizer_required
from app.services_errors import NotFound, ServiceError
from app.tax.sellers import config_for, organization_seller

bp = Blueprint("organizer_invoices", __name__)


def _organizations(roles) -> list[Organization]:
    ids = access.organization_ids(current_user, *roles)
    query = select(Organization).order_by(Organization.id)
    if ids is not None:
        query = query.where(Organization.id.in_(ids))
    return list(db.session.scalars(query))


def _chosen(roles) -> tuple[Organization, list[Organization]]:
    """The organization asked for (or the first), among those the caller may
    act on with `roles`."""
    organizations = _organizations(roles)
    wanted = request.args.get("org", type=int)
    for organization in organizations:
        if wanted is None or organization.id == wanted:
            return organization, organizations
    raise NotFound("ORGANIZATION_NOT_FOUND", _("No such organization."))


def _seller(roles=ORDERS) -> str:
    return organization_seller(_chosen(roles)[0].id)


def _period():
    return reports.parse_period(request.args.get("from"), request.args.get("to"))


@bp.get("/invoices")
@organizer_required
def index():
    start, end = _period()
    query = request.args.get("q", "")
    organization, organizations = _chosen(ORDERS)
    invoices = reports.find(organization_seller(organization.id), query, start, end)
    return render_template(
        "organizer/invoices.html",
        organization=organization,
        organizations=organizations,
        invoices=invoices,
        query=query,
        start=request.args.get("from", ""),
        end=request.args.get("to", ""),
    )


@bp.get("/invoices/<int:invoice_id>.pdf")
@organizer_required
def pdf(invoice_id: int):
    invoice = reports.get_document(invoice_id, None)
    allowed = {organization_seller(o.id) for o in _organizations(ORDERS)}
    if invoice is not None and invoice.seller not in allowed:
        invoice = None
    if invoice is None:
        raise NotFound("INVOICE_NOT_FOUND", _("No such invoice."))
    return Response(
        document_pdf(invoice),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{file_name(invoice)}"'},
    )


@bp.get("/invoices.zip")
@organizer_required
def bundle():
    start, end = _period()
    invoices = reports.find(_seller(), "", start, end, reports.MAX_EXPORTED)
    return Response(
        reports.zip_of(invoices),
        mimetype="application/zip",
        headers={"Content-Disposition": 'attachment; filename="invoices.zip"'},
    )


@bp.get("/invoices.csv")
@organizer_required
def tax_csv():
    start, end = _period()
    invoices = reports.find(_seller(), "", start, end, reports.MAX_EXPORTED)
    return Response(
        reports.tax_csv(invoices),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="sales-tax.csv"'},
    )


@bp.route("/tax", methods=("GET", "POST"))
@organizer_required
def tax_settings():
    organization, organizations = _chosen(PAYOUTS)
    seller = organization_seller(organization.id)
    form = form_for(config_for(seller))
    if form.validate_on_submit():
        try:
            save_form(seller, form)
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
        else:
            db.session.commit()
            flash(_("Tax settings saved. New orders use them."), "success")
            return redirect(url_for(".tax_settings", org=organization.id))
    return render_template(
        "organizer/tax.html",
        form=form,
        organization=organization,
        organizations=organizations,
    )

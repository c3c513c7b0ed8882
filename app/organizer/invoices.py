"""An organizer's invoices (its own events' documents only) and tax settings."""

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

from app.extensions import db
from app.invoicing import reports
from app.invoicing.pdf import document_pdf, file_name
from app.organizer.tax_forms import form_for, save_form
from app.organizer.views import organizer_required
from app.services_errors import NotFound, ServiceError
from app.tax.sellers import config_for, organizer_seller

bp = Blueprint("organizer_invoices", __name__)


def _seller() -> str:
    return organizer_seller(current_user.id)


def _period():
    return reports.parse_period(request.args.get("from"), request.args.get("to"))


@bp.get("/invoices")
@organizer_required
def index():
    start, end = _period()
    query = request.args.get("q", "")
    invoices = reports.find(_seller(), query, start, end)
    return render_template(
        "organizer/invoices.html",
        invoices=invoices,
        query=query,
        start=request.args.get("from", ""),
        end=request.args.get("to", ""),
    )


@bp.get("/invoices/<int:invoice_id>.pdf")
@organizer_required
def pdf(invoice_id: int):
    invoice = reports.get_document(invoice_id, _seller())
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
    form = form_for(config_for(_seller()))
    if form.validate_on_submit():
        try:
            save_form(_seller(), form)
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
        else:
            db.session.commit()
            flash(_("Tax settings saved. New orders use them."), "success")
            return redirect(url_for(".tax_settings"))
    return render_template("organizer/tax.html", form=form)

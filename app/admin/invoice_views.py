"""Back-office invoices (every seller's) and the shop's tax settings."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _

from app.admin.operations import OperationView
from app.admin.services import record
from app.extensions import db
from app.invoicing import reports
from app.invoicing.pdf import document_pdf, file_name
from app.organizer.tax_forms import form_for, save_form
from app.services_errors import ServiceError
from app.tax.sellers import SHOP, config_for


def _period():
    return reports.parse_period(request.args.get("from"), request.args.get("to"))


class InvoicesView(OperationView):
    @expose("/")
    def index(self):
        start, end = _period()
        query = request.args.get("q", "")
        return self.render(
            "backoffice/invoices.html",
            invoices=reports.find(None, query, start, end),
            query=query,
            start=request.args.get("from", ""),
            end=request.args.get("to", ""),
        )

    @expose("/<int:invoice_id>/pdf")
    def pdf(self, invoice_id: int):
        invoice = reports.get_document(invoice_id, None)
        if invoice is None:
            abort(404)
        return Response(
            document_pdf(invoice),
            mimetype="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{file_name(invoice)}"'},
        )

    @expose("/export.zip")
    def bundle(self):
        start, end = _period()
        invoices = reports.find(None, "", start, end, reports.MAX_EXPORTED)
        return Response(
            reports.zip_of(invoices),
            mimetype="application/zip",
            headers={"Content-Disposition": 'attachment; filename="invoices.zip"'},
        )

    @expose("/export.csv")
    def tax_csv(self):
        start, end = _period()
        invoices = reports.find(None, "", start, end, reports.MAX_EXPORTED)
        return Response(
            reports.tax_csv(invoices),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="sales-tax.csv"'},
        )


class ShopTaxView(OperationView):
    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = form_for(config_for(SHOP))
        if form.validate_on_submit():
            try:
                config = save_form(SHOP, form)
                record(
                    "tax_settings",
                    SHOP,
                    {"country": config.country, "registered": config.registered},
                )
            except ServiceError as exc:
                db.session.rollback()
                flash(str(exc.message), "error")
            else:
                db.session.commit()
                flash(_("Tax settings saved. New orders use them."), "success")
                return redirect(url_for(".index"))
        return self.render("backoffice/tax.html", form=form)

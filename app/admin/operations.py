"""Back-office pages that run one audited service call per POST: refunds to
resolve, shipping, book files, orders prepared for a customer."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    redirect,
    request,
    url_for,
)
from flask_admin import BaseView, expose
from flask_babel import gettext as _

from app.admin import queries, services
from app.admin.access import AdminOnly
from app.admin.forms import CustomerOrderForm
from app.downloads.services import store_book_file, upload_limit
from app.extensions import db
from app.services_errors import ServiceError


def _back(endpoint: str, **values):
    return redirect(url_for(endpoint, **values))


class OperationView(AdminOnly, BaseView):
    """A back-office page whose POSTs run one audited service call and commit."""

    def run(self, work, success: str) -> bool:
        try:
            work()
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            return False
        db.session.commit()
        flash(success, "success")
        return True


class NeedsRefundView(OperationView):
    @expose("/")
    def index(self):
        orders, reasons = queries.orders_needing_refund()
        return self.render(
            "backoffice/needs_refund.html", orders=orders, reasons=reasons
        )

    @expose("/<int:order_id>/resolve", methods=("POST",))
    def resolve(self, order_id: int):
        how = request.form.get("how", "")
        reason = request.form.get("reason", "")
        self.run(
            lambda: services.resolve_refund(order_id, how, reason),
            _("The order was resolved."),
        )
        return _back("needs_refund.index")


class ShippingView(OperationView):
    @expose("/")
    def index(self):
        show = request.args.get("show", "open")
        orders = queries.booklet_orders(open_only=show == "open")
        return self.render("backoffice/shipping.html", orders=orders, show=show)

    @expose("/<int:order_id>/cancel", methods=("POST",))
    def cancel(self, order_id: int):
        self.run(
            lambda: services.cancel_booklet_order(
                order_id, request.form.get("how", ""), request.form.get("reason", "")
            ),
            _("The order was cancelled and refunded; its copies are back in stock."),
        )
        return _back("shipping.index", show=request.args.get("show", "open"))

    @expose("/<int:order_id>/<step>", methods=("POST",))
    def step(self, order_id: int, step: str):
        labels = {
            "ship": _("Order marked shipped."),
            "deliver": _("Order marked delivered."),
            "complete": _("Order marked completed."),
        }
        if step not in labels:
            abort(404)
        self.run(
            lambda: services.shipping_step(
                order_id,
                step,
                request.form.get("carrier", ""),
                request.form.get("tracking_number", ""),
            ),
            labels[step],
        )
        return _back("shipping.index", show=request.args.get("show", "open"))


class BookFilesView(OperationView):
    @expose("/")
    def index(self):
        return self.render(
            "backoffice/book_files.html",
            books=queries.digital_books(),
            limit=upload_limit(),
        )

    @expose("/<int:product_id>/upload", methods=("POST",))
    def upload(self, product_id: int):
        def work():
            product = store_book_file(product_id, request.files.get("file"))
            services.record(
                "product.upload_file",
                f"Product#{product.id}",
                {"file_name": product.file_name, "stored_as": product.file_path},
            )

        self.run(work, _("The book file was uploaded."))
        return _back("bookfiles.index")


class CreateOrderView(OperationView):
    """Prepare an order for a customer; they pay it with its order-key link."""

    @expose("/", methods=("GET", "POST"))
    def index(self):
        created = None
        if request.method == "POST":
            try:
                wanted = CustomerOrderForm.parse(request.form)
            except ValueError:
                flash(_("Quantity and product must be numbers."), "error")
                wanted = None
            result = {}

            def work():
                result["order"] = services.create_order_for_customer(
                    wanted.product_id,
                    wanted.quantity,
                    wanted.name,
                    wanted.email,
                    wanted.address,
                    wanted.note,
                )

            if wanted is not None and self.run(
                work, _("The order was created; send the customer its link.")
            ):
                created = result["order"]
        return self.render(
            "backoffice/create_order.html",
            products=queries.orderable_products(),
            created=created,
        )

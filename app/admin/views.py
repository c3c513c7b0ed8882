"""The back office on Flask-Admin, mounted at /admin, for the admin role only.

`bp` is a tiny blueprint listed in `app.blueprints`; registering it mounts
Flask-Admin (`init_admin`) on the app, so the factory needs no edit. Every view
answers 404 to anyone but an admin, every form carries the app's CSRF token
(`AdminForm`; the app-wide CSRFProtect checks it on every POST, including
Flask-Admin's delete and bulk-action forms), and every change — create, update,
delete, bulk action, custom operation — writes an `AuditLog` row in the same
transaction.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    request,
    url_for,
)
from flask_admin import Admin, AdminIndexView, BaseView, expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import SecureForm
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user
from flask_wtf.csrf import _FlaskFormCSRF, generate_csrf
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import SelectField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.accounts.merchant_keys import create_merchant_key, revoke_merchant_key
from app.accounts.models import ROLES, MerchantKey, User
from app.admin import services
from app.admin.models import AuditLog
from app.catalog.models import (
    PRODUCT_TYPES,
    Event,
    Product,
    TicketType,
    TrainingCohort,
    TrainingSession,
)
from app.downloads.services import store_book_file, upload_limit
from app.extensions import db
from app.money import display_amount
from app.orders.models import Order
from app.orders.states import OrderStatus
from app.outbox.models import OutboxEvent
from app.outbox.states import EventStatus
from app.payments.models import Payment, PaymentEvent, PaymentMethod
from app.promotions.models import Promotion
from app.security import csp_nonce
from app.services_errors import ServiceError
from app.templating import format_utc

bp = Blueprint("backoffice", __name__)


def choices(pairs) -> list[SelectChoice]:
    """Select options as WTForms 3.3 wants them (tuples are deprecated)."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def is_admin() -> bool:
    return bool(current_user.is_authenticated and current_user.role == "admin")


class AdminForm(SecureForm):
    """Flask-Admin's secure form, with the app's own CSRF token (Flask-WTF), so
    the global CSRFProtect and the form agree on one token and one setting."""

    class Meta(SecureForm.Meta):
        csrf_class = _FlaskFormCSRF
        csrf_field_name = "csrf_token"

        @property
        def csrf(self) -> bool:  # type: ignore[override]
            from flask import current_app

            return current_app.config.get("WTF_CSRF_ENABLED", True)

        @property
        def csrf_secret(self):  # type: ignore[override]
            from flask import current_app

            return current_app.config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key)

        @property
        def csrf_time_limit(self):
            from flask import current_app

            return current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)


class AdminOnly:
    """Anyone but an admin gets the same 404: the back office reveals nothing."""

    def is_accessible(self) -> bool:
        return is_admin()

    def inaccessible_callback(self, name, **kwargs):
        abort(404)


class HomeView(AdminOnly, AdminIndexView):
    @expose("/")
    def index(self):
        counts = {
            "needs_refund": db.session.scalar(
                select(func.count(Order.id)).where(Order.needs_refund.is_(True))
            ),
            "to_ship": db.session.scalar(
                select(func.count(Order.id)).where(
                    Order.kind == "booklet",
                    Order.status == OrderStatus.PAID,
                    Order.fulfilment_status.in_(("processing", "shipped", "delivered")),
                )
            ),
            "outbox_failed": db.session.scalar(
                select(func.count(OutboxEvent.id)).where(
                    OutboxEvent.status == EventStatus.FAILED
                )
            ),
            "outbox_pending": db.session.scalar(
                select(func.count(OutboxEvent.id)).where(
                    OutboxEvent.status == EventStatus.PENDING
                )
            ),
        }
        recent = db.session.scalars(
            select(AuditLog).order_by(AuditLog.id.desc()).limit(10)
        ).all()
        return self.render("backoffice/home.html", counts=counts, recent=recent)


# --- model views -----------------------------------------------------------------


class AuditedModelView(AdminOnly, ModelView):
    """A ModelView whose every create, update and delete is audited."""

    form_base_class = AdminForm
    page_size = 50
    can_view_details = True
    can_set_page_size = True

    # Foreign keys edited as plain selects: {column: function returning options}.
    # (Flask-Admin's relationship fields pass WTForms 3.3 deprecated tuples.)
    fk_choices: dict = {}

    def __init__(self, model, **kwargs):
        super().__init__(model, db.session, **kwargs)

    def create_form(self, obj=None):
        return self._with_choices(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._with_choices(super().edit_form(obj))

    def _with_choices(self, form):
        for name, options in self.fk_choices.items():
            getattr(form, name).choices = options()
        return form

    def on_model_change(self, form, model, is_created):
        if is_created:
            db.session.flush()
            services.record(
                "create", services.target_of(model), services.snapshot_of(model)
            )
        else:
            changes = services.changes_of(model)
            if changes:
                services.record("update", services.target_of(model), changes)

    def on_model_delete(self, model):
        services.record(
            "delete", services.target_of(model), services.snapshot_of(model)
        )


def _row_button(value, show: bool, url: str, label: str, name: str) -> Markup:
    """A one-button POST form in a list cell (works under the app's CSP, unlike
    Flask-Admin's inline-onclick bulk-action menu)."""
    if not show:
        return Markup("{}").format(value)
    return Markup(
        '{} <form method="post" action="{}" class="d-inline {}-form">'
        '<input type="hidden" name="csrf_token" value="{}">'
        '<button type="submit" class="btn btn-sm btn-warning {}-button">{}</button>'
        "</form>"
    ).format(value, url, name, generate_csrf(), name, label)


class ReadOnlyView(AuditedModelView):
    can_create = False
    can_edit = False
    can_delete = False
    column_default_sort = ("id", True)


def _money(view, context, model, name):
    return display_amount(getattr(model, name), model.currency)


class ProductView(AuditedModelView):
    column_list = (
        "id",
        "type",
        "slug",
        "title",
        "price",
        "currency",
        "active",
        "stock",
        "file_name",
    )
    column_filters = ("type", "active", "currency")
    column_searchable_list = ("title", "slug")
    column_formatters = {"price": _money}
    column_labels = {"file_name": "Book file"}
    form_columns = (
        "type",
        "slug",
        "title",
        "description",
        "price",
        "currency",
        "active",
        "validity_days",
        "stock",
    )
    form_overrides = {"type": SelectField}
    form_args = {
        "type": {"choices": choices((t, t.replace("_", " ")) for t in PRODUCT_TYPES)},
        "price": {
            "description": "In the currency's minor unit (paisa, cents; yen has none).",
            "validators": [NumberRange(min=0)],
        },
        "currency": {"validators": [DataRequired(), Length(min=3, max=3)]},
        "stock": {
            "description": "Printed booklets: copies on hand. Empty = not counted.",
            "validators": [Optional(), NumberRange(min=0)],
        },
        "validity_days": {
            "description": "Days of access after purchase; empty = lifetime.",
            "validators": [Optional(), NumberRange(min=1)],
        },
    }

    def on_model_change(self, form, model, is_created):
        model.currency = (model.currency or "").upper()
        if model.type != "booklet" and model.stock is not None:
            raise ValidationError("Only printed booklets have stock.")
        super().on_model_change(form, model, is_created)


def _fk_select(label: str) -> dict:
    return {"label": label, "coerce": int}


def _training_choices() -> list[SelectChoice]:
    products = db.session.scalars(
        select(Product).where(Product.type == "training").order_by(Product.title)
    )
    return choices((p.id, p.title) for p in products)


def _cohort_choices() -> list[SelectChoice]:
    cohorts = db.session.scalars(select(TrainingCohort).order_by(TrainingCohort.id))
    return choices((c.id, f"{c.product.title} — {c.name}") for c in cohorts)


def _event_choices() -> list[SelectChoice]:
    events = db.session.scalars(select(Event).order_by(Event.starts_at))
    return choices((e.id, e.title) for e in events)


class CohortView(AuditedModelView):
    column_list = (
        "id",
        "product",
        "name",
        "capacity",
        "seats_taken",
        "seats_held",
        "starts_on",
        "ends_on",
    )
    column_filters = ("starts_on",)
    column_formatters = {"product": lambda v, c, m, n: m.product.title}
    form_columns = ("product_id", "name", "capacity", "starts_on", "ends_on")
    form_overrides = {"product_id": SelectField}
    form_args = {
        "product_id": _fk_select("Training"),
        "capacity": {"validators": [NumberRange(min=1)]},
    }
    fk_choices = {"product_id": _training_choices}

    def on_model_change(self, form, model, is_created):
        if model.ends_on < model.starts_on:
            raise ValidationError("A cohort cannot end before it starts.")
        if model.capacity < (model.seats_taken or 0) + (model.seats_held or 0):
            raise ValidationError("Capacity is below the seats already taken or held.")
        super().on_model_change(form, model, is_created)


class SessionView(AuditedModelView):
    column_list = ("id", "cohort", "title", "starts_at")
    column_formatters = {
        "cohort": lambda v, c, m, n: f"{m.cohort.product.title} — {m.cohort.name}"
    }
    form_columns = ("cohort_id", "title", "starts_at", "content")
    form_overrides = {"cohort_id": SelectField}
    form_args = {"cohort_id": _fk_select("Cohort")}
    fk_choices = {"cohort_id": _cohort_choices}


def _organizer_choices() -> list[SelectChoice]:
    users = db.session.scalars(
        select(User).where(User.role.in_(("organizer", "admin"))).order_by(User.name)
    )
    return choices((u.id, f"{u.name} <{u.email}>") for u in users)


class EventView(AuditedModelView):
    column_list = (
        "id",
        "slug",
        "title",
        "organizer_id",
        "venue",
        "starts_at",
        "currency",
        "active",
    )
    column_filters = ("active", "currency", "starts_at")
    column_searchable_list = ("title", "slug")
    form_columns = (
        "organizer_id",
        "slug",
        "title",
        "description",
        "venue",
        "starts_at",
        "ends_at",
        "currency",
        "active",
    )
    form_overrides = {"organizer_id": SelectField}
    fk_choices = {"organizer_id": _organizer_choices}
    form_args = {
        "organizer_id": _fk_select("Organizer"),
        "currency": {"validators": [DataRequired(), Length(min=3, max=3)]},
    }

    def on_model_change(self, form, model, is_created):
        model.currency = (model.currency or "").upper()
        if model.ends_at <= model.starts_at:
            raise ValidationError("An event must end after it starts.")
        super().on_model_change(form, model, is_created)


class TicketTypeView(AuditedModelView):
    column_list = (
        "id",
        "event",
        "name",
        "price",
        "quantity_total",
        "quantity_sold",
        "reserved",
    )
    column_formatters = {"event": lambda v, c, m, n: m.event.title}
    form_columns = ("event_id", "name", "price", "quantity_total")
    form_overrides = {"event_id": SelectField}
    fk_choices = {"event_id": _event_choices}
    form_args = {
        "event_id": _fk_select("Event"),
        "price": {"validators": [NumberRange(min=0)]},
        "quantity_total": {"validators": [NumberRange(min=0)]},
    }

    def on_model_change(self, form, model, is_created):
        if model.quantity_total < (model.quantity_sold or 0) + (model.reserved or 0):
            raise ValidationError("Total is below the tickets already sold or held.")
        super().on_model_change(form, model, is_created)


class PromotionView(AuditedModelView):
    column_list = (
        "id",
        "code",
        "kind",
        "value",
        "currency",
        "scope",
        "starts_at",
        "ends_at",
        "max_uses",
        "uses_count",
        "active",
    )
    column_filters = ("active", "kind", "scope")
    column_searchable_list = ("code",)
    form_columns = (
        "code",
        "kind",
        "value",
        "currency",
        "scope",
        "product_types",
        "product_ids",
        "starts_at",
        "ends_at",
        "max_uses",
        "per_user_limit",
        "active",
    )
    form_overrides = {"kind": SelectField, "scope": SelectField}
    form_args = {
        "kind": {"choices": choices([("percent", "percent"), ("fixed", "fixed")])},
        "scope": {
            "choices": choices(
                [("all", "all"), ("types", "product types"), ("products", "products")]
            )
        },
        "value": {"validators": [NumberRange(min=0)]},
    }

    def on_model_change(self, form, model, is_created):
        if model.kind == "percent" and not 0 <= model.value <= 100:
            raise ValidationError("A percentage is between 0 and 100.")
        super().on_model_change(form, model, is_created)


class PaymentMethodView(AuditedModelView):
    column_list = (
        "id",
        "code",
        "name",
        "backend",
        "auto_approve",
        "active",
        "sort_order",
    )
    column_filters = ("backend", "active", "auto_approve")
    form_columns = (
        "code",
        "name",
        "backend",
        "auto_approve",
        "settings",
        "active",
        "sort_order",
        "description",
    )
    form_overrides = {"backend": SelectField}
    form_args = {
        "backend": {
            "choices": choices(
                [
                    ("esewa", "eSewa"),
                    ("komoju", "Komoju"),
                    ("paysession", "Payment session"),
                    ("manual", "Manual (bank transfer)"),
                ]
            )
        },
        "settings": {
            "description": 'JSON, e.g. {"currencies": ["NPR"], "max_amount": 100000}'
        },
    }


class UserView(AuditedModelView):
    can_create = False
    can_delete = False
    column_list = ("id", "email", "name", "phone", "role", "created_at")
    column_filters = ("role", "created_at")
    column_searchable_list = ("email", "name")
    column_exclude_list = ("password_hash",)
    column_details_exclude_list = ("password_hash",)
    form_columns = ("name", "email", "phone", "role")
    form_overrides = {"role": SelectField}
    form_args = {"role": {"choices": choices((r, r) for r in ROLES)}}

    def on_model_change(self, form, model, is_created):
        if model.id == current_user.id and model.role != "admin":
            raise ValidationError("You cannot remove your own admin role.")
        super().on_model_change(form, model, is_created)


class MerchantKeyView(AuditedModelView):
    """Keys are generated here and shown once; only a hash is stored."""

    can_edit = False
    can_delete = False
    column_list = ("id", "name", "key_prefix", "created_at", "revoked_at")
    column_details_exclude_list = ("key_hash",)
    column_formatters = {
        "revoked_at": lambda v, c, m, n: _row_button(
            m.revoked_at or "",
            m.revoked_at is None,
            url_for("merchant_keys.revoke", key_id=m.id),
            "Revoke",
            "revoke",
        )
    }
    form_columns = ("name",)
    form_args = {"name": {"validators": [DataRequired(), Length(max=80)]}}

    def create_model(self, form):
        try:
            raw, key = create_merchant_key(form.name.data.strip())
            services.record("create", f"MerchantKey#{key.id}", {"name": key.name})
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - shown to the admin, as Flask-Admin does
            db.session.rollback()
            flash(f"Could not create the key: {exc}", "error")
            return False
        flash(
            Markup(
                "New key (copy it now, it is shown only once): <code>{}</code>"
            ).format(raw),
            "success",
        )
        return key

    @expose("/revoke/<int:key_id>", methods=("POST",))
    def revoke(self, key_id: int):
        if revoke_merchant_key(key_id):
            services.record("merchant_key.revoke", f"MerchantKey#{key_id}")
            db.session.commit()
            flash("The key was revoked.", "success")
        else:
            flash("That key is already revoked.", "error")
        return redirect(url_for(".index_view"))

    @action("revoke", "Revoke", "Revoke the selected keys? Their callers stop working.")
    def action_revoke(self, ids):
        done = 0
        for key_id in ids:
            if revoke_merchant_key(int(key_id)):
                services.record("merchant_key.revoke", f"MerchantKey#{key_id}")
                done += 1
        db.session.commit()
        flash(f"{done} key(s) revoked.", "success")


def _order_link(view, context, model, name):
    return Markup('<a href="{}">{}</a>').format(
        url_for("orders.order_page", public_id=model.public_id), model.public_id
    )


class OrderView(ReadOnlyView):
    column_list = (
        "id",
        "public_id",
        "kind",
        "status",
        "fulfilment_status",
        "needs_refund",
        "total",
        "currency",
        "customer_email",
        "created_at",
        "paid_at",
    )
    column_filters = (
        "status",
        "kind",
        "needs_refund",
        "fulfilment_status",
        "currency",
        "created_at",
        "paid_at",
        "customer_email",
    )
    column_searchable_list = ("public_id", "customer_email", "customer_name")
    column_formatters = {"total": _money, "public_id": _order_link}
    column_details_exclude_list = ("order_key",)
    column_export_exclude_list = ("order_key",)


class PaymentView(ReadOnlyView):
    column_list = (
        "id",
        "order_id",
        "gateway",
        "method",
        "status",
        "amount",
        "currency",
        "gateway_txn_id",
        "verified",
        "verify_attempts",
        "created_at",
        "completed_at",
    )
    column_filters = (
        "status",
        "gateway",
        "method",
        "verified",
        "currency",
        "created_at",
        "order_id",
    )
    column_searchable_list = ("gateway_txn_id", "gateway_reference")
    column_formatters = {"amount": _money}


class PaymentEventView(ReadOnlyView):
    column_list = (
        "id",
        "created_at",
        "gateway",
        "kind",
        "outcome",
        "payment_id",
        "order_id",
        "signature_valid",
        "event_id",
        "detail",
    )
    column_filters = (
        "gateway",
        "kind",
        "outcome",
        "signature_valid",
        "created_at",
        "order_id",
        "payment_id",
    )
    column_searchable_list = ("event_id", "detail", "outcome")


class OutboxView(ReadOnlyView):
    """Pending and failed follow-up work; failed events can be re-driven."""

    column_list = (
        "id",
        "topic",
        "status",
        "attempts",
        "available_at",
        "last_error",
        "created_at",
        "processed_at",
    )
    column_filters = ("status", "topic", "available_at", "created_at")
    column_searchable_list = ("topic", "last_error", "dedupe_key")
    column_formatters = {
        "status": lambda v, c, m, n: _row_button(
            m.status,
            m.status == EventStatus.FAILED,
            url_for("outbox.redrive", event_id=m.id),
            "Re-drive",
            "redrive",
        )
    }

    def get_query(self):
        return super().get_query().filter(OutboxEvent.status.in_(("pending", "failed")))

    def get_count_query(self):
        return (
            super()
            .get_count_query()
            .filter(OutboxEvent.status.in_(("pending", "failed")))
        )

    @expose("/redrive/<int:event_id>", methods=("POST",))
    def redrive(self, event_id: int):
        try:
            services.redrive_event(event_id)
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()  # relayed to the queue after this commit
            flash(f"Outbox event {event_id} re-driven.", "success")
        return redirect(url_for(".index_view"))

    @action("redrive", "Re-drive", "Run the selected failed events again?")
    def action_redrive(self, ids):
        done, refused = 0, []
        for event_id in ids:
            try:
                services.redrive_event(int(event_id))
                done += 1
            except ServiceError as exc:
                refused.append(exc.message)
        db.session.commit()  # relayed to the queue after this commit
        if done:
            flash(f"{done} event(s) re-driven.", "success")
        for message in refused:
            flash(message, "error")


class AuditLogView(ReadOnlyView):
    column_list = ("id", "created_at", "user", "action", "target", "detail")
    column_formatters = {
        "user": lambda v, c, m, n: m.user.email if m.user else "—",
        "created_at": lambda v, c, m, n: format_utc(m.created_at),
    }
    column_filters = ("action", "target", "created_at", "user_id")
    column_searchable_list = ("action", "target")


# --- custom pages -----------------------------------------------------------------


def _back(endpoint: str, **values):
    return redirect(url_for(endpoint, **values))


class OperationView(AdminOnly, BaseView):
    """A back-office page whose POSTs run one audited service call and commit."""

    def run(self, work, success: str) -> bool:
        try:
            work()
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return False
        db.session.commit()
        flash(success, "success")
        return True


class NeedsRefundView(OperationView):
    @expose("/")
    def index(self):
        orders = db.session.scalars(
            select(Order)
            .where(Order.needs_refund.is_(True))
            .order_by(Order.refund_by, Order.id)
        ).all()
        reasons = {
            e.order_id: e.detail
            for e in db.session.scalars(
                select(PaymentEvent)
                .where(
                    PaymentEvent.outcome == "needs_refund",
                    PaymentEvent.order_id.in_([o.id for o in orders] or [0]),
                )
                .order_by(PaymentEvent.id)
            )
        }
        return self.render(
            "backoffice/needs_refund.html", orders=orders, reasons=reasons
        )

    @expose("/<int:order_id>/resolve", methods=("POST",))
    def resolve(self, order_id: int):
        how = request.form.get("how", "")
        reason = request.form.get("reason", "")
        self.run(
            lambda: services.resolve_refund(order_id, how, reason),
            "The order was resolved.",
        )
        return _back("needs_refund.index")


class ShippingView(OperationView):
    @expose("/")
    def index(self):
        show = request.args.get("show", "open")
        query = select(Order).where(Order.kind == "booklet").order_by(Order.id.desc())
        if show == "open":
            query = query.where(
                Order.status == OrderStatus.PAID,
                Order.fulfilment_status.in_(("processing", "shipped", "delivered")),
            )
        orders = db.session.scalars(query.limit(200)).all()
        return self.render("backoffice/shipping.html", orders=orders, show=show)

    @expose("/<int:order_id>/cancel", methods=("POST",))
    def cancel(self, order_id: int):
        self.run(
            lambda: services.cancel_booklet_order(
                order_id, request.form.get("how", ""), request.form.get("reason", "")
            ),
            "The order was cancelled and refunded; its copies are back in stock.",
        )
        return _back("shipping.index", show=request.args.get("show", "open"))

    @expose("/<int:order_id>/<step>", methods=("POST",))
    def step(self, order_id: int, step: str):
        labels = {"ship": "shipped", "deliver": "delivered", "complete": "completed"}
        if step not in labels:
            abort(404)
        self.run(
            lambda: services.shipping_step(
                order_id,
                step,
                request.form.get("carrier", ""),
                request.form.get("tracking_number", ""),
            ),
            f"Order marked {labels[step]}.",
        )
        return _back("shipping.index", show=request.args.get("show", "open"))


class BookFilesView(OperationView):
    @expose("/")
    def index(self):
        books = db.session.scalars(
            select(Product).where(Product.type == "digital_book").order_by(Product.id)
        ).all()
        return self.render(
            "backoffice/book_files.html", books=books, limit=upload_limit()
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

        self.run(work, "The book file was uploaded.")
        return _back("bookfiles.index")


class CreateOrderView(OperationView):
    """Prepare an order for a customer; they pay it with its order-key link."""

    @expose("/", methods=("GET", "POST"))
    def index(self):
        products = db.session.scalars(
            select(Product)
            .where(
                Product.active.is_(True),
                Product.type.in_(("course", "digital_book", "booklet")),
            )
            .order_by(Product.title)
        ).all()
        created = None
        if request.method == "POST":
            form = request.form
            address = {
                k: form.get(f"ship_{k}", "")
                for k in (
                    "name",
                    "line1",
                    "line2",
                    "city",
                    "postcode",
                    "country",
                    "phone",
                )
            }
            result = {}

            def work():
                result["order"] = services.create_order_for_customer(
                    int(form.get("product_id") or 0),
                    int(form.get("quantity") or 1),
                    form.get("name", ""),
                    form.get("email", ""),
                    address,
                    form.get("note", ""),
                )

            try:
                ok = self.run(
                    work, "The order was created; send the customer its link."
                )
            except ValueError:
                db.session.rollback()
                flash("Quantity and product must be numbers.", "error")
                ok = False
            if ok:
                created = result["order"]
        return self.render(
            "backoffice/create_order.html", products=products, created=created
        )


# --- mounting ---------------------------------------------------------------------


def _allow_book_uploads() -> None:
    """Book files may be larger than MAX_CONTENT_LENGTH: raise the limit for the
    upload endpoint only, for admins only, before anything reads the body."""
    if request.endpoint == "bookfiles.upload" and is_admin():
        request.max_content_length = upload_limit()


def init_admin(app: Flask) -> Admin:
    admin = Admin(
        app,
        name="Back office",
        url="/admin",
        index_view=HomeView(name="Home", url="/admin"),
        theme=Bootstrap4Theme(),
        csp_nonce_generator=csp_nonce,
    )
    catalog, sales, ops, people = "Catalog", "Sales", "Operations", "People"
    admin.add_view(ProductView(Product, category=catalog, endpoint="products"))
    admin.add_view(
        CohortView(
            TrainingCohort,
            category=catalog,
            name="Training cohorts",
            endpoint="cohorts",
        )
    )
    admin.add_view(
        SessionView(
            TrainingSession,
            category=catalog,
            name="Training sessions",
            endpoint="sessions",
        )
    )
    admin.add_view(EventView(Event, category=catalog, endpoint="events_admin"))
    admin.add_view(
        TicketTypeView(
            TicketType, category=catalog, name="Ticket types", endpoint="ticket_types"
        )
    )
    admin.add_view(PromotionView(Promotion, category=catalog, endpoint="promotions"))
    admin.add_view(
        BookFilesView(name="Book files", category=catalog, endpoint="bookfiles")
    )
    admin.add_view(OrderView(Order, category=sales, endpoint="orders_admin"))
    admin.add_view(PaymentView(Payment, category=sales, endpoint="payments_admin"))
    admin.add_view(
        PaymentEventView(
            PaymentEvent,
            category=sales,
            name="Payment events",
            endpoint="payment_events",
        )
    )
    admin.add_view(
        CreateOrderView(name="Create order", category=sales, endpoint="create_order")
    )
    admin.add_view(
        PaymentMethodView(
            PaymentMethod,
            category=sales,
            name="Payment methods",
            endpoint="payment_methods",
        )
    )
    admin.add_view(
        NeedsRefundView(name="Needs refund", category=ops, endpoint="needs_refund")
    )
    admin.add_view(ShippingView(name="Shipping", category=ops, endpoint="shipping"))
    admin.add_view(
        OutboxView(OutboxEvent, category=ops, name="Outbox", endpoint="outbox")
    )
    admin.add_view(
        AuditLogView(AuditLog, category=ops, name="Audit log", endpoint="audit_log")
    )
    admin.add_view(UserView(User, category=people, endpoint="users"))
    admin.add_view(
        MerchantKeyView(
            MerchantKey,
            category=people,
            name="Merchant API keys",
            endpoint="merchant_keys",
        )
    )
    admin.add_link(MenuLink(name="Storefront", url="/"))
    app.before_request_funcs.setdefault(None, []).insert(0, _allow_book_uploads)
    return admin


@bp.record_once
def _mount(state) -> None:
    init_admin(state.app)

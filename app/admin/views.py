"""The back office on Flask-Admin, mounted at /admin, for the admin role only.

`bp` is a tiny blueprint listed in `app.composition`; registering it mounts
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
    request,
)
from flask_admin import Admin
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from app.accounts.models import MerchantKey, User
from app.admin.access import is_admin
from app.admin.catalog_views import (
    CohortView,
    EventView,
    ProductView,
    PromotionView,
    SessionView,
    TicketTypeView,
)
from app.admin.home import HomeView
from app.admin.invoice_views import InvoicesView, ShopTaxView
from app.admin.models import AuditLog
from app.admin.money_views import (
    BankTransfersView,
    MerchantNotificationView,
    RefundsView,
)
from app.admin.operations import (
    BookFilesView,
    CreateOrderView,
    NeedsRefundView,
    ShippingView,
)
from app.admin.people_views import MerchantKeyView, PaymentMethodView, UserView
from app.admin.record_views import (
    AuditLogView,
    OrderView,
    OutboxView,
    PaymentEventView,
    PaymentView,
)
from app.catalog.models import (
    Event,
    Product,
    TicketType,
    TrainingCohort,
    TrainingSession,
)
from app.downloads.services import upload_limit
from app.orders.models import Order
from app.outbox.models import OutboxEvent
from app.payments.models import Payment, PaymentEvent, PaymentMethod
from app.promotions.models import Promotion
from app.rpc.models import MerchantNotification
from app.security import csp_nonce

bp = Blueprint("backoffice", __name__)


def _allow_book_uploads() -> None:
    """Book files may be larger than MAX_CONTENT_LENGTH: raise the limit for the
    upload endpoint only, for admins only, before anything reads the body."""
    if request.endpoint == "bookfiles.upload" and is_admin():
        request.max_content_length = upload_limit()


def init_admin(app: Flask) -> Admin:
    admin = Admin(
        app,
        name=_l("Back office"),
        url="/admin",
        index_view=HomeView(name=_l("Home"), url="/admin"),
        theme=Bootstrap4Theme(base_template="backoffice/admin_base.html"),
        csp_nonce_generator=csp_nonce,
    )
    catalog, sales, ops, people = (
        _l("Catalog"),
        _l("Sales"),
        _l("Operations"),
        _l("People"),
    )
    admin.add_view(
        ProductView(Product, category=catalog, name=_l("Product"), endpoint="products")
    )
    admin.add_view(
        CohortView(
            TrainingCohort,
            category=catalog,
            name=_l("Training cohorts"),
            endpoint="cohorts",
        )
    )
    admin.add_view(
        SessionView(
            TrainingSession,
            category=catalog,
            name=_l("Training sessions"),
            endpoint="sessions",
        )
    )
    admin.add_view(
        EventView(Event, category=catalog, name=_l("Event"), endpoint="events_admin")
    )
    admin.add_view(
        TicketTypeView(
            TicketType,
            category=catalog,
            name=_l("Ticket types"),
            endpoint="ticket_types",
        )
    )
    admin.add_view(
        PromotionView(
            Promotion, category=catalog, name=_l("Promotion"), endpoint="promotions"
        )
    )
    admin.add_view(
        BookFilesView(name=_l("Book files"), category=catalog, endpoint="bookfiles")
    )
    admin.add_view(
        OrderView(Order, category=sales, name=_l("Order"), endpoint="orders_admin")
    )
    admin.add_view(
        PaymentView(
            Payment, category=sales, name=_l("Payment"), endpoint="payments_admin"
        )
    )
    admin.add_view(
        PaymentEventView(
            PaymentEvent,
            category=sales,
            name=_l("Payment events"),
            endpoint="payment_events",
        )
    )
    admin.add_view(
        CreateOrderView(
            name=_l("Create order"), category=sales, endpoint="create_order"
        )
    )
    admin.add_view(RefundsView(name=_l("Refunds"), category=sales, endpoint="refunds"))
    admin.add_view(
        InvoicesView(
            name=_l("Invoices"),
            category=sales,
            endpoint="invoices_admin",
            url="/admin/invoices",
        )
    )
    admin.add_view(
        ShopTaxView(
            name=_l("Tax settings"),
            category=sales,
            endpoint="shop_tax",
            url="/admin/tax",
        )
    )
    admin.add_view(
        PaymentMethodView(
            PaymentMethod,
            category=sales,
            name=_l("Payment methods"),
            endpoint="payment_methods",
        )
    )
    admin.add_view(
        NeedsRefundView(name=_l("Needs refund"), category=ops, endpoint="needs_refund")
    )
    admin.add_view(ShippingView(name=_l("Shipping"), category=ops, endpoint="shipping"))
    admin.add_view(
        BankTransfersView(
            name=_l("Bank transfers"), category=ops, endpoint="bank_transfers"
        )
    )
    admin.add_view(
        OutboxView(OutboxEvent, category=ops, name=_l("Outbox"), endpoint="outbox")
    )
    admin.add_view(
        MerchantNotificationView(
            MerchantNotification,
            category=ops,
            name=_l("Merchant webhooks"),
            endpoint="merchant_notifications",
        )
    )
    admin.add_view(
        AuditLogView(AuditLog, category=ops, name=_l("Audit log"), endpoint="audit_log")
    )
    admin.add_view(UserView(User, category=people, name=_l("User"), endpoint="users"))
    admin.add_view(
        MerchantKeyView(
            MerchantKey,
            category=people,
            name=_l("Merchant API keys"),
            endpoint="merchant_keys",
        )
    )
    admin.add_link(MenuLink(name=_l("Storefront"), url="/"))
    app.before_request_funcs.setdefault(None, []).insert(0, _allow_book_uploads)
    return admin


@bp.record_once
def _mount(state) -> None:
    init_admin(state.app)

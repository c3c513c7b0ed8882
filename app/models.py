"""Import every domain's models so SQLAlchemy metadata (and Alembic) sees them all."""

from app.accounts.models import ApiToken, MerchantKey, User
from app.admin.models import AuditLog
from app.cart.models import Cart, CartItem
from app.catalog.models import (
    Event,
    Product,
    TicketType,
    TrainingCohort,
    TrainingSession,
)
from app.checkin.models import CheckinScan
from app.downloads.models import DownloadCounter
from app.events.models import Ticket, WaitlistEntry
from app.http.models import IdempotencyKey
from app.invoicing.models import Invoice, InvoiceCounter
from app.library.models import ProductAccess
from app.mail.models import EmailLog
from app.orders.models import Order, OrderItem, OrderTaxRate
from app.organizer.models import Invitation, Membership, Organization
from app.outbox.models import OutboxEvent
from app.payments.models import (
    BankReceipt,
    Payment,
    PaymentEvent,
    PaymentMethod,
    Refund,
)
from app.promotions.models import Promotion, PromotionUsage
from app.rpc.models import MerchantNotification, NotificationAttempt
from app.tax.models import TaxConfig
from app.training.models import Enrollment

__all__ = [
    "ApiToken",
    "AuditLog",
    "BankReceipt",
    "Cart",
    "CartItem",
    "CheckinScan",
    "DownloadCounter",
    "EmailLog",
    "Enrollment",
    "Event",
    "IdempotencyKey",
    "Invitation",
    "Membership",
    "Invoice",
    "InvoiceCounter",
    "MerchantKey",
    "MerchantNotification",
    "NotificationAttempt",
    "Order",
    "OrderItem",
    "Organization",
    "OrderTaxRate",
    "OutboxEvent",
    "Payment",
    "PaymentEvent",
    "PaymentMethod",
    "Product",
    "ProductAccess",
    "Promotion",
    "PromotionUsage",
    "Refund",
    "TaxConfig",
    "Ticket",
    "TicketType",
    "TrainingCohort",
    "TrainingSession",
    "User",
    "WaitlistEntry",
]

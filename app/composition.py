"""Where the parts meet: every blueprint, order kind, outbox topic and mail
context loader, listed once with the function that serves it.

Domains never register themselves and lower layers never import higher ones:
orders dispatch fulfilment through `app.orders.fulfilment`, the outbox runs
handlers through `app.outbox.topics`, mail loads objects through
`app.mail.context`, API auth finds users through `app.http.auth` - and this
module fills all four. "Find usages" of any handler lands here. See
docs/architecture.md for the layers and where a new part goes.
"""

from __future__ import annotations

import os

from flask import Blueprint, Flask

from app import page_cache
from app.accounts import recovery_views as account_recovery
from app.accounts import services as account_services
from app.accounts import settings_views as account_settings
from app.accounts import views as account_pages
from app.admin import views as admin_pages
from app.api import views as api_views
from app.bench import views as bench_views
from app.booklets import api as booklet_api
from app.booklets import fulfilment as booklet_goods
from app.booklets import views as booklet_pages
from app.cart import api as cart_api
from app.cart import fulfilment as cart_goods
from app.cart import views as cart_pages
from app.catalog import views as catalog_pages
from app.checkin import api as checkin_api
from app.checkin import views as checkin_pages
from app.checkout import api as checkout_api
from app.checkout import order_key as order_key_api
from app.downloads import views as download_pages
from app.events import api as event_api
from app.events import fulfilment as event_goods
from app.events import views as event_pages
from app.events import waitlist
from app.events import waitlist_views as waitlist_pages
from app.events.emails import tickets_email_context
from app.extensions import csrf
from app.http import auth as api_auth
from app.i18n import views as language_switch
from app.mail import context as mail_context
from app.mail import views as dev_mailbox
from app.mail.services import handle_send_email
from app.order_views import api as order_api
from app.order_views import invoices as order_invoices
from app.order_views import pages as order_pages
from app.order_views.invoice_email import receipt_email_context
from app.orders import fulfilment
from app.orders.emails import add_order
from app.organizer import cancellation as event_cancellation
from app.organizer import invoices as organizer_invoices
from app.organizer import manage_views as organizer_setup
from app.organizer import promotion_views as organizer_promotions
from app.organizer import team_views as organizer_team
from app.organizer import views as organizer_pages
from app.outbox import relay as outbox_relay
from app.outbox import topics
from app.outbox.services import cleanup_outbox
from app.payments import api as payment_api
from app.payments import bank_transfer, refund_execution, refund_sync
from app.payments import jobs as payment_jobs
from app.payments import views as payment_pages
from app.payments.emails import add_payment, add_refund
from app.rpc import fulfilment as service_goods
from app.rpc import notifications as merchant_notifications
from app.rpc import views as rpc_views
from app.sandbox import esewa as sandbox_esewa
from app.sandbox import komoju as sandbox_komoju
from app.sandbox import paysession as sandbox_paysession
from app.training import api as training_api
from app.training import fulfilment as training_goods
from app.training import views as training_pages
from app.training.emails import enrollment_email_context

# (blueprint, url prefix); pages keep CSRF protection.
PAGES: list[tuple[Blueprint, str | None]] = [
    (catalog_pages.bp, None),
    (account_pages.bp, None),
    (account_recovery.bp, None),
    (account_settings.bp, None),
    (cart_pages.bp, None),
    (order_pages.bp, None),
    (order_invoices.bp, None),
    (payment_pages.bp, None),
    (training_pages.bp, None),
    (event_pages.bp, None),
    (waitlist_pages.bp, None),
    (organizer_pages.bp, "/organizer"),
    (organizer_invoices.bp, "/organizer"),
    (checkin_pages.bp, "/organizer"),
    (organizer_setup.bp, "/organizer"),
    (organizer_promotions.bp, "/organizer"),
    (organizer_team.bp, "/organizer"),
    (dev_mailbox.bp, None),
    (admin_pages.bp, None),
    (booklet_pages.bp, None),
    (download_pages.bp, None),
    (language_switch.bp, None),
]

# JSON endpoints authenticate with bearer tokens (or signatures), not cookies,
# so they are exempt from CSRF.
APIS: list[tuple[Blueprint, str]] = [
    (api_views.bp, "/api"),
    (cart_api.bp, "/api"),
    (checkout_api.bp, "/api"),
    (order_api.bp, "/api"),
    (order_invoices.api_bp, "/api"),
    (training_api.bp, "/api"),
    (event_api.bp, "/api"),
    (payment_api.bp, "/api/payments"),
    (rpc_views.bp, "/rpc"),
    (booklet_api.bp, "/api"),
    (order_key_api.bp, "/api"),
    (checkin_api.bp, "/api"),
]

# Gateway simulators, mounted only when GATEWAY_MODE=sandbox; reached over HTTP.
SANDBOXES: list[tuple[Blueprint, str]] = [
    (sandbox_esewa.bp, "/_sandbox/esewa"),
    (sandbox_komoju.bp, "/_sandbox/komoju"),
    (sandbox_paysession.bp, "/_sandbox/paysession"),
]

# Order.kind -> what paying, holding, cancelling and refunding do to the goods.
ORDER_KINDS: dict[str, fulfilment.OrderKind] = {
    "cart": fulfilment.OrderKind(paid=cart_goods.paid, refunded=cart_goods.refunded),
    "training": fulfilment.OrderKind(
        paid=training_goods.paid,
        cancelled=training_goods.cancelled,
        refunded=training_goods.refunded,
    ),
    "event": fulfilment.OrderKind(
        paid=event_goods.paid,
        held=event_goods.held,
        cancelled=event_goods.cancelled,
        refunded=event_goods.refunded,
    ),
    "service": fulfilment.OrderKind(
        paid=service_goods.paid,
        held=service_goods.held,
        failed=service_goods.failed,
        cancelled=service_goods.cancelled,
    ),
    "booklet": fulfilment.OrderKind(
        paid=booklet_goods.paid,
        cancelled=booklet_goods.cancelled,
        refunded=booklet_goods.refunded,
    ),
}

# Outbox topic -> its handler and queue (job names are part of the seeds).
TOPICS: dict[str, topics.Topic] = {
    "order.payment_success": topics.Topic(payment_jobs.handle_payment_success),
    "order.payment_failed": topics.Topic(payment_jobs.handle_payment_failed),
    "order.payment_retry": topics.Topic(payment_jobs.handle_payment_retry),
    "order.auto_cancel": topics.Topic(payment_jobs.handle_auto_cancel),
    "order.payment_authorized": topics.Topic(payment_jobs.handle_payment_authorized),
    "order.payment_expired": topics.Topic(payment_jobs.handle_payment_expired),
    "payment.refund": topics.Topic(refund_execution.handle_refund),
    "event.cancel": topics.Topic(event_cancellation.handle_event_cancel),
    "waitlist.expire": topics.Topic(waitlist.handle_offer_expiry),
    "payment.refund_sync": topics.Topic(refund_sync.handle_refund_sync),
    "payment.transfer_reminder": topics.Topic(
        bank_transfer.handle_transfer_reminder, queue="mail"
    ),
    "merchant.notify": topics.Topic(merchant_notifications.deliver, queue="default"),
    "email.send": topics.Topic(handle_send_email, queue="mail"),
    "orders_maintenance.cleanup_outbox": topics.Topic(
        cleanup_outbox, queue="maintenance"
    ),
}

# What email templates are given, from the ids their event stored.
MAIL_CONTEXT = mail_context.MailContext(
    loaders=(add_order, add_payment, add_refund),
    per_template={
        "tickets": tickets_email_context,
        "ticket_attendee": tickets_email_context,
        "enrollment_confirmed": enrollment_email_context,
        "order_paid": receipt_email_context,
    },
)


def wire(app: Flask) -> None:
    """Mount the blueprints and install the domain callables on `app`."""
    for blueprint, prefix in PAGES:
        app.register_blueprint(blueprint, url_prefix=prefix)
    for blueprint, prefix in APIS:
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint, url_prefix=prefix)
    if app.config["GATEWAY_MODE"] == "sandbox":
        for blueprint, prefix in SANDBOXES:
            app.register_blueprint(blueprint, url_prefix=prefix)
    if os.environ.get("BENCH_ENDPOINTS") == "1":  # `make bench` ceilings only
        csrf.exempt(bench_views.bp)
        app.register_blueprint(bench_views.bp, url_prefix="/_bench")
    fulfilment.install(app, ORDER_KINDS)
    topics.install(app, TOPICS)
    outbox_relay.listen()
    page_cache.listen()
    mail_context.install(app, MAIL_CONTEXT)
    api_auth.install(app, account_services.user_for_token)

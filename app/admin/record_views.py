"""Read-only back-office lists of what happened: orders, payments, the
gateway message log, the outbox (with re-drive) and the audit log."""

from __future__ import annotations

from flask import (
    flash,
    redirect,
    url_for,
)
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup

from app.admin import services
from app.admin.model_base import ReadOnlyView, money_column, row_button
from app.extensions import db
from app.outbox.models import OutboxEvent
from app.outbox.states import EventStatus
from app.services_errors import ServiceError
from app.templating import format_utc


def order_link(view, context, model, name):
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
        "promotion_past_limit",
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
        "promotion_past_limit",
        "fulfilment_status",
        "currency",
        "created_at",
        "paid_at",
        "customer_email",
    )
    column_searchable_list = ("public_id", "customer_email", "customer_name")
    column_formatters = {"total": money_column, "public_id": order_link}
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
    column_formatters = {"amount": money_column}


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
        "status": lambda v, c, m, n: row_button(
            m.status,
            m.status == EventStatus.FAILED,
            url_for("outbox.redrive", event_id=m.id),
            _("Re-drive"),
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
            flash(str(exc.message), "error")
        else:
            db.session.commit()  # relayed to the queue after this commit
            flash(_("Outbox event %(id)s re-driven.", id=event_id), "success")
        return redirect(url_for(".index_view"))

    @action("redrive", _l("Re-drive"), _l("Run the selected failed events again?"))
    def action_redrive(self, ids):
        done, refused = 0, []
        for event_id in ids:
            try:
                services.redrive_event(int(event_id))
                done += 1
            except ServiceError as exc:
                refused.append(str(exc.message))
        db.session.commit()  # relayed to the queue after this commit
        if done:
            flash(
                ngettext("%(num)d event re-driven.", "%(num)d events re-driven.", done),
                "success",
            )
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

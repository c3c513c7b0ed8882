"""Back-office pages for money going back, money coming in by bank, and the
webhooks owed to merchants.

- Refunds: every refund, and the refund form for any paid order (lines or an
  amount; through the gateway, or recorded with the reference of a refund made
  in eSewa's merchant portal or by bank);
- Bank transfers: the transfers we wait for, confirming one by its reference
  and the amount received, importing the bank's statement, and the queue of
  short, late and unknown transfers a person decides about.

Every POST runs one service call, is audited, and commits (OperationView).
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.admin.model_base import ReadOnlyView, row_button
from app.admin.operations import OperationView
from app.admin.services import record
from app.db import utcnow
from app.extensions import db
from app.i18n.labels import label
from app.i18n.preferences import CURRENCY_ZONES
from app.money import parse_amount
from app.order_views.refund_form import carry_out, parse_refund_form, refund_form_view
from app.orders.models import Order
from app.payments import bank_receipts, statements
from app.payments.models import Refund
from app.rpc import notifications
from app.rpc.states import NotificationStatus
from app.services_errors import ServiceError

MAX_STATEMENT_BYTES = 2 * 1024 * 1024


def _order(public_id: str) -> Order:
    order = db.session.scalar(select(Order).where(Order.public_id == public_id))
    if order is None:
        abort(404)
    return order


class RefundsView(OperationView):
    @expose("/")
    def index(self):
        wanted = (request.args.get("order") or "").strip()
        if wanted:
            return redirect(url_for(".order", public_id=wanted))
        refunds = db.session.scalars(
            select(Refund).order_by(Refund.id.desc()).limit(100)
        ).all()
        return self.render("backoffice/refunds.html", refunds=refunds)

    @expose("/order/<public_id>", methods=("GET", "POST"))
    def order(self, public_id: str):
        order = _order(public_id)
        if request.method == "POST":

            def work():
                choice = parse_refund_form(request.form, order)
                refund = carry_out(order, choice, current_user.id)
                record(
                    "order.refund",
                    f"Order#{order.id}",
                    {
                        "refund": refund.id,
                        "amount": refund.amount,
                        "lines": refund.lines,
                        "source": refund.source,
                        "reference": refund.reference,
                        "reason": refund.reason,
                    },
                )

            self.run(work, _("The refund went through."))
            return redirect(url_for(".order", public_id=public_id), 303)
        return self.render(
            "backoffice/refund_order.html",
            order=order,
            view=refund_form_view(order),
        )


def _received_on(text: str) -> dt.date:
    if not text:
        return utcnow().date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ServiceError(
            "VALIDATION_ERROR", _("Enter the date as YYYY-MM-DD."), 400
        ) from exc


class BankTransfersView(OperationView):
    @expose("/")
    def index(self):
        return self.render(
            "backoffice/bank_transfers.html",
            awaiting=bank_receipts.awaiting_transfers(),
            queue=bank_receipts.review_queue(),
            recent=bank_receipts.recent_receipts(),
            key=secrets.token_hex(16),
            today=utcnow().date().isoformat(),
            currencies=sorted(CURRENCY_ZONES),
        )

    @expose("/confirm", methods=("POST",))
    def confirm(self):
        form = request.form

        def work():
            payment = bank_receipts.payment_for_reference(form.get("reference", ""))
            currency = payment.currency if payment else "NPR"
            try:
                amount = parse_amount(form.get("amount", ""), currency)
            except ValueError as exc:
                raise ServiceError(
                    "VALIDATION_ERROR", _("Enter the amount received."), 400
                ) from exc
            receipt = bank_receipts.confirm_transfer(
                form.get("reference", ""),
                amount,
                _received_on(form.get("received_on", "")),
                current_user.id,
                (form.get("key") or secrets.token_hex(16))[:40],
            )
            record(
                "bank.confirm",
                f"BankReceipt#{receipt.id}",
                {"reference": receipt.reference, "amount": receipt.amount},
            )
            if receipt.problem:
                flash(
                    _(
                        "Recorded, but it needs a person: %(why)s.",
                        why=label(receipt.problem, "receipt_problem"),
                    ),
                    "warning",
                )

        self.run(work, _("The transfer was recorded."))
        return redirect(url_for(".index"), 303)

    @expose("/import", methods=("POST",))
    def import_statement(self):
        upload = request.files.get("statement")
        currency = (request.form.get("currency") or "NPR")[:3].upper()
        summary = {}

        def work():
            if upload is None or not upload.filename:
                raise ServiceError("VALIDATION_ERROR", _("Choose a CSV file."), 400)
            content = upload.read(MAX_STATEMENT_BYTES + 1)
            if len(content) > MAX_STATEMENT_BYTES:
                raise ServiceError(
                    "STATEMENT_TOO_LONG", _("The statement is larger than 2 MB."), 400
                )
            result = statements.import_statement(content, currency, current_user.id)
            summary["result"] = result
            record(
                "bank.import",
                upload.filename[:120],
                {
                    "matched": result.matched,
                    "review": result.review,
                    "duplicates": result.duplicates,
                    "skipped": result.skipped[:20],
                },
            )

        if self.run(work, _("The statement was imported.")):
            result = summary["result"]
            flash(
                _(
                    "%(matched)s matched, %(review)s for review, %(dupes)s "
                    "imported before, %(bad)s unreadable.",
                    matched=result.matched,
                    review=result.review,
                    dupes=result.duplicates,
                    bad=len(result.skipped),
                ),
                "info",
            )
            for problem in result.skipped[:10]:
                flash(problem, "warning")
        return redirect(url_for(".index"), 303)

    @expose("/receipts/<int:receipt_id>/resolve", methods=("POST",))
    def resolve(self, receipt_id: int):
        form = request.form

        def work():
            receipt = bank_receipts.resolve_receipt(
                receipt_id,
                form.get("how", ""),
                form.get("note", ""),
                current_user.id,
                form.get("reference", ""),
            )
            record(
                f"bank.{receipt.status}",
                f"BankReceipt#{receipt.id}",
                {"note": receipt.note, "payment": receipt.payment_id},
            )

        self.run(work, _("The transfer was resolved."))
        return redirect(url_for(".index"), 303)


def _last_answer(view, context, model, name):
    if not model.deliveries:
        return "—"
    last = model.deliveries[-1]
    return str(last.status_code) if last.status_code else (last.error or "—")[:80]


class MerchantNotificationView(ReadOnlyView):
    """Webhooks to merchants' notify_url: delivered, still trying, or given up
    (an admin may send an exhausted one again)."""

    can_view_details = False
    column_list = (
        "id",
        "order_id",
        "event_type",
        "url",
        "status",
        "attempts",
        "last_answer",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    )
    column_filters = ("status", "event_type", "created_at", "order_id")
    column_searchable_list = ("url", "dedupe_key")
    column_formatters = {
        "last_answer": _last_answer,
        "status": lambda v, c, m, n: row_button(
            m.status,
            m.status == NotificationStatus.EXHAUSTED,
            url_for("merchant_notifications.resend", notification_id=m.id),
            _("Send again"),
            "resend",
        ),
    }

    @expose("/resend/<int:notification_id>", methods=("POST",))
    def resend(self, notification_id: int):
        if notifications.resend(notification_id):
            record("merchant_webhook.resend", f"MerchantNotification#{notification_id}")
            db.session.commit()
            flash(_("The webhook will be sent again."), "success")
        else:
            db.session.rollback()
            flash(_("Only a webhook that gave up can be sent again."), "error")
        return redirect(url_for(".index_view"))

"""Manual methods (bank transfer): an admin confirms that the money arrived."""

from __future__ import annotations

from flask_babel import gettext as _

from app.extensions import db
from app.payments.audit import log_event
from app.payments.finalise import apply_result
from app.payments.gateways import base as gw
from app.payments.models import Payment
from app.payments.states import is_settled
from app.services_errors import NotFound, ServiceError


def confirm_manual_payment(payment_id: int, admin_user) -> str:
    """An admin confirms that a manual payment (bank transfer) arrived.

    The on-hold order is then paid through `apply_result`, the same path every
    gateway capture takes, so fulfilment, promotion usage and the receipt happen
    once however often this is pressed. The caller commits.
    """
    if admin_user is None or getattr(admin_user, "role", None) != "admin":
        raise ServiceError("FORBIDDEN", _("Only an admin can confirm a payment."), 403)
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("PAYMENT_NOT_FOUND", _("No such payment."))
    if payment.gateway != "manual":
        raise ServiceError(
            "NOT_A_MANUAL_PAYMENT",
            _("Only manual payments are confirmed by hand; gateways are verified."),
            400,
        )
    if is_settled(payment.status):
        return "already-final"
    log_event(
        gateway=payment.gateway,
        kind="note",
        payment=payment,
        outcome="manual_confirmed",
        detail=f"receipt confirmed by admin #{admin_user.id}",
    )
    truth = gw.GatewayResult(
        status=gw.CAPTURED,
        amount=payment.amount,
        currency=payment.currency,
        message=f"received; confirmed by admin #{admin_user.id}",
    )
    return apply_result(payment, truth, "admin")

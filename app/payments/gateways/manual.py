"""Manual methods (bank transfer): no gateway; a person confirms receipt."""

from __future__ import annotations

from app.payments.gateways.base import (
    AUTHORIZED,
    GatewayRejected,
    GatewayResult,
    Handoff,
    InvalidSignature,
    PaymentRef,
    PaymentRequest,
    WebhookMessage,
)


class ManualGateway:
    name = "manual"
    manual_refund_note = (
        "A bank transfer is refunded by a transfer back to the buyer: make it, "
        "then record its reference."
    )

    def create_handoff(self, request: PaymentRequest) -> Handoff:
        return Handoff(
            initiation_type="direct",
            redirect_url=request.success_url,
            payload={},
            gateway_txn_id=f"manual-{request.payment_id}",
        )

    def fetch_status(self, ref: PaymentRef) -> GatewayResult:
        # Money arrives outside any API; until an admin confirms, it is on hold.
        return GatewayResult(
            status=AUTHORIZED, amount=ref.amount, currency=ref.currency
        )

    def verify_redirect(self, ref: PaymentRef, params: dict[str, str]) -> GatewayResult:
        return self.fetch_status(ref)

    def verify_webhook(self, headers: dict[str, str], body: bytes) -> WebhookMessage:
        raise InvalidSignature("manual payments have no webhooks")

    def refund(
        self, ref: PaymentRef, amount: int, idempotency_key: str | None = None
    ) -> GatewayResult:
        raise GatewayRejected(self.manual_refund_note)

"""Words for the codes the database stores: statuses, product types, payment
methods, konbini chains. The code stays the code (in URLs, CSS classes, the API,
`data-*` attributes); only what a person reads is translated, at render time.

An unknown code (a new status, an admin-made method) falls back to the code
itself with spaces, or to the name stored with it, never to an error.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ORDER_STATUS = {
    "payment_pending": _l("payment pending"),
    "on_hold": _l("on hold"),
    "paid": _l("paid"),
    "failed": _l("failed"),
    "cancelled": _l("cancelled"),
    "refunded": _l("refunded"),
    # a paid training order reads as the enrollment it is
    "enrolled": _l("enrolled"),
}

PAYMENT_STATUS = {
    "created": _l("created"),
    "pending": _l("pending"),
    "authorized": _l("authorized"),
    "captured": _l("captured"),
    "failed": _l("failed"),
    "cancelled": _l("cancelled"),
    "expired": _l("expired"),
    "refunded": _l("refunded"),
}

ENROLLMENT_STATUS = {
    "pending": _l("pending payment"),
    "enrolled": _l("enrolled"),
    "cancelled": _l("cancelled"),
}

REFUND_STATUS = {
    "requested": _l("requested"),
    "processing": _l("in progress"),
    "succeeded": _l("refunded"),
    "failed": _l("failed"),
}

REFUND_SOURCES = {
    "gateway": _l("through the gateway"),
    "recorded": _l("recorded by staff"),
    "external": _l("at the gateway's dashboard"),
}

RECEIPT_STATUS = {
    "matched": _l("matched"),
    "review": _l("needs a person"),
    "accepted": _l("accepted"),
    "returned": _l("sent back"),
}

RECEIPT_PROBLEMS = {
    "short": _l("less than the order total"),
    "over": _l("more than the order total"),
    "late": _l("after the deadline"),
    "unknown_reference": _l("unknown reference"),
    "already_paid": _l("order already paid"),
    "currency": _l("another currency"),
}

RECEIPT_SOURCES = {"staff": _l("confirmed by staff"), "statement": _l("bank statement")}

FULFILMENT_STATUS = {
    "processing": _l("processing"),
    "shipped": _l("shipped"),
    "delivered": _l("delivered"),
    "completed": _l("completed"),
}

# Seed 003's booklet steps. English shows the seed's own status names (the codes
# also stay in `data-step`); other languages translate them.
BOOKLET_STEPS = {
    "NEW": _l("NEW"),
    "HOLD": _l("HOLD"),
    "PROCESSING": _l("PROCESSING"),
    "SHIPPED": _l("SHIPPED"),
    "DELIVERED": _l("DELIVERED"),
    "COMPLETED": _l("COMPLETED"),
    "FAILED": _l("FAILED"),
    "CANCELLED": _l("CANCELLED"),
    "REFUNDED": _l("REFUNDED"),
}

PRODUCT_TYPES = {
    "course": _l("Course"),
    "digital_book": _l("Digital book"),
    "training": _l("Training"),
    "booklet": _l("Printed booklet"),
}

PRODUCT_TYPE_GROUPS = {
    "course": _l("Courses"),
    "digital_book": _l("Digital books"),
    "training": _l("Trainings"),
    "booklet": _l("Printed booklets"),
}

ORDER_KINDS = {
    "cart": _l("cart"),
    "training": _l("training"),
    "event": _l("event tickets"),
    "service": _l("service"),
    "booklet": _l("booklet"),
}

# Payment methods by code; a method an admin adds keeps the name it was given.
PAYMENT_METHODS = {
    "esewa": _l("eSewa"),
    "komoju_card": _l("Credit card (Komoju)"),
    "komoju_konbini": _l("Konbini (convenience store)"),
    "paysession": _l("Card / UPI (payment session)"),
    "bank_transfer": _l("Manual bank transfer"),
}

# Gateway message kinds and outcomes in payment timelines.
PAYMENT_EVENT_KINDS = {
    "redirect": _l("redirect"),
    "webhook": _l("webhook"),
    "status_check": _l("status check"),
    "outbound": _l("request to the gateway"),
    "note": _l("note"),
}

PAYMENT_EVENT_OUTCOMES = {
    "amount_mismatch": _l("amount mismatch"),
    "auto_approved": _l("approved automatically"),
    "delivered_after_all": _l("delivered after all"),
    "failure_return": _l("returned after a failure"),
    "gateway_error": _l("gateway error"),
    "handoff_created": _l("payment page prepared"),
    "invalid_signature": _l("invalid signature"),
    "manual_confirmed": _l("confirmed by hand"),
    "needs_refund": _l("needs a refund"),
    "order_cancelled": _l("order cancelled"),
    "order_paid": _l("order paid"),
    "refund_flag_cleared": _l("refund flag cleared"),
    "refund_error": _l("refund not confirmed"),
    "refund_rejected": _l("refund rejected"),
    "refunded": _l("refunded"),
    "refunded_at_gateway": _l("refunded at the gateway"),
    "refunded_by_hand": _l("refunded by hand"),
    "tickets_void": _l("tickets void"),
    "transfer_needs_review": _l("transfer needs a person"),
    "transfer_received": _l("transfer received"),
    "verification_exhausted": _l("verification gave up"),
    **PAYMENT_STATUS,
}

# Komoju's `payment_details.store` values: the chains as their customers know them.
KONBINI_STORES = {
    "seven-eleven": _l("Seven-Eleven"),
    "lawson": _l("Lawson"),
    "family-mart": _l("FamilyMart"),
    "ministop": _l("Ministop"),
    "daily-yamazaki": _l("Daily Yamazaki"),
    "seicomart": _l("Seicomart"),
    "email": _l("Payment by email instructions"),
}

# Slip fields Komoju gives (see app.payments.gateways.komoju.INSTRUCTION_FIELDS).
SLIP_FIELDS = {
    "store": _l("Store"),
    "receipt": _l("Payment number (receipt number)"),
    "confirmation_code": _l("Confirmation number"),
    "instructions_url": _l("How to pay at the store"),
}

# What a "check with the gateway now" found (app.payments.finalise outcomes).
CHECK_OUTCOMES = {
    "unknown-payment": _l("no such payment"),
    "already-final": _l("the payment was already settled"),
    "refunded-at-gateway": _l("refunded at the gateway"),
    "pending": _l("still pending"),
    "amount-mismatch": _l("the amount does not match"),
    "already-captured": _l("already paid"),
    "duplicate-capture": _l("paid twice; the extra payment needs a refund"),
    "paid": _l("paid"),
    "paid-needs-refund": _l("paid, but the order needs a refund"),
    "not-held": _l("authorized, but the order was not held"),
    "on-hold": _l("on hold"),
    "payment-failed": _l("the payment failed"),
    "cancelled": _l("cancelled"),
    "order-failed": _l("the order failed"),
}

# Roles of an organization's members (app.organizer.roles).
MEMBER_ROLES = {
    "owner": _l("Owner"),
    "manager": _l("Manager"),
    "staff": _l("Staff"),
    "check_in": _l("Check-in"),
}

TABLES = {
    "role": MEMBER_ROLES,
    "order": ORDER_STATUS,
    "payment": PAYMENT_STATUS,
    "enrollment": ENROLLMENT_STATUS,
    "refund": REFUND_STATUS,
    "refund_source": REFUND_SOURCES,
    "receipt": RECEIPT_STATUS,
    "receipt_problem": RECEIPT_PROBLEMS,
    "receipt_source": RECEIPT_SOURCES,
    "fulfilment": FULFILMENT_STATUS,
    "step": BOOKLET_STEPS,
    "product_type": PRODUCT_TYPES,
    "product_group": PRODUCT_TYPE_GROUPS,
    "order_kind": ORDER_KINDS,
    "event_kind": PAYMENT_EVENT_KINDS,
    "event_outcome": PAYMENT_EVENT_OUTCOMES,
    "store": KONBINI_STORES,
    "slip_field": SLIP_FIELDS,
    "check_outcome": CHECK_OUTCOMES,
}


def label(code: str | None, table: str = "order", fallback: str | None = None) -> str:
    """The reader's word for `code` in `table`; unknown codes read as themselves."""
    if code is None:
        return "—"
    known = TABLES[table].get(code)
    if known is not None:
        return str(known)
    return fallback if fallback else str(code).replace("_", " ")


def method_name(code: str | None, stored_name: str | None = None) -> str:
    """A payment method's name: translated for the shop's own methods, the name
    an admin gave it otherwise."""
    known = PAYMENT_METHODS.get(code or "")
    return str(known) if known is not None else (stored_name or code or "")

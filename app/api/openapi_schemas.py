"""Request schemas and summaries per operation ("METHOD /path")."""

from __future__ import annotations

IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}

SCHEMAS: dict = {
    "CheckoutRequest": {
        "type": "object",
        "required": ["gateway"],
        "properties": {
            "gateway": {
                "type": "string",
                "description": "A payment method code: esewa, komoju_card, "
                "komoju_konbini, paysession, or bank_transfer (answered with "
                "initiationType 'instructions' and the transfer's instructions).",
                "examples": ["esewa", "bank_transfer"],
            },
            "returnUrl": {"type": "string", "format": "uri"},
            "promoCode": {"type": "string", "maxLength": 40},
            "paymentType": {"type": "string"},
            "extendAccess": {
                "type": "boolean",
                "description": "Buy again what the caller already has (limited "
                "access only), extending it; without it an owned item is a 409",
            },
        },
    },
}

SCHEMAS["BankTransferInstructions"] = {
    "type": "object",
    "description": "How to pay by bank transfer (seed 003's manual method).",
    "required": [
        "bankName",
        "accountName",
        "accountNumber",
        "reference",
        "amount",
        "deadline",
    ],
    "properties": {
        "bankName": {"type": "string"},
        "accountName": {"type": "string"},
        "accountNumber": {"type": "string"},
        "reference": {
            "type": "string",
            "pattern": "^BT[0-9A-Z]{6,}$",
            "description": "Written on the transfer, so it can be matched.",
        },
        "amount": {"type": "string", "examples": ["1300.00", "3000"]},
        "deadline": {"type": "string", "format": "date-time"},
    },
}
SCHEMAS["PaymentInit"] = {
    "type": "object",
    "description": "Seeds 000/001's payment-init body; a bank transfer adds "
    "`instructions`, with status on_hold and initiationType 'instructions'.",
    "required": [
        "orderId",
        "status",
        "paymentId",
        "gatewayTransactionId",
        "initiationType",
        "redirectUrl",
        "gatewayPayload",
    ],
    "properties": {
        "orderId": {"type": "integer"},
        "status": {"type": "string", "examples": ["payment_pending", "on_hold"]},
        "paymentId": {"type": "integer"},
        "gatewayTransactionId": {"type": ["string", "null"]},
        "initiationType": {
            "type": "string",
            "enum": ["form_post", "redirect", "direct", "instructions"],
        },
        "redirectUrl": {"type": ["string", "null"]},
        "gatewayPayload": {"type": "object"},
        "instructions": {"$ref": "#/components/schemas/BankTransferInstructions"},
    },
}

OPERATIONS: dict[str, dict] = {
    "POST /api/auth/password-reset": {
        "summary": "Email a single-use password reset link; 200 whether or not "
        "an account has the address",
        "requestBody": {
            "type": "object",
            "required": ["email"],
            "properties": {"email": {"type": "string", "maxLength": 254}},
        },
    },
    "POST /api/auth/password-reset/confirm": {
        "summary": "Set a new password with the emailed token; ends every session "
        "and token, and the token cannot be used again",
        "requestBody": {
            "type": "object",
            "required": ["token", "password"],
            "properties": {
                "token": {"type": "string", "maxLength": 500},
                "password": {"type": "string", "minLength": 8, "maxLength": 200},
            },
        },
    },
    "POST /api/auth/register": {
        "summary": "Register a customer account",
        "requestBody": {
            "type": "object",
            "required": ["email", "password", "name"],
            "properties": {
                "email": {"type": "string", "format": "email"},
                "password": {"type": "string", "minLength": 8},
                "name": {"type": "string"},
                "phone": {"type": "string"},
            },
        },
    },
    "POST /api/auth/token": {
        "summary": "Exchange email and password for a bearer token",
        "requestBody": {
            "type": "object",
            "required": ["email", "password"],
            "properties": {"email": {"type": "string"}, "password": {"type": "string"}},
        },
    },
    "GET /api/me": {"summary": "The token's user", "auth": True},
    "GET /api/products": {
        "summary": "List active products",
        "parameters": [
            {
                "name": "type",
                "in": "query",
                "required": False,
                "schema": {
                    "type": "string",
                    "enum": ["course", "digital_book", "training", "booklet"],
                },
            }
        ],
    },
    "GET /api/products/{product_id}": {
        "summary": "One product (cohorts for trainings)"
    },
    "GET /api/events": {"summary": "List events with ticket types"},
    "GET /api/events/{event_id}": {"summary": "One event with seats left per type"},
    "GET /api/cart": {"summary": "The caller's cart", "auth": True},
    "POST /api/cart/items": {
        "summary": "Add a course or digital book to the cart",
        "auth": True,
        "requestBody": {
            "type": "object",
            "required": ["productId"],
            "properties": {
                "productId": {"type": "integer", "minimum": 1},
                "quantity": {"type": "integer", "enum": [1]},
            },
        },
    },
    "DELETE /api/cart/items/{product_id}": {
        "summary": "Remove a product from the cart",
        "auth": True,
    },
    "POST /api/orders/checkout": {
        "summary": "Check out the cart (seed 001); Idempotency-Key supported; "
        "gateway bank_transfer answers the transfer's instructions",
        "auth": True,
        "parameters": [IDEMPOTENCY_HEADER],
        "requestBody": {"$ref": "#/components/schemas/CheckoutRequest"},
        "response": {"$ref": "#/components/schemas/PaymentInit"},
    },
    "POST /api/mobile/orders/checkout": {
        "summary": "Check out the cart; the answer adds the order's items and totals",
        "auth": True,
        "parameters": [IDEMPOTENCY_HEADER],
        "requestBody": {"$ref": "#/components/schemas/CheckoutRequest"},
        "response": {"$ref": "#/components/schemas/PaymentInit"},
    },
    "GET /api/orders": {"summary": "The caller's orders", "auth": True},
    "GET /api/orders/{order_id}": {
        "summary": "Order status for polling (owner, or anyone with ?key=)",
        "parameters": [
            {
                "name": "key",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
            }
        ],
    },
    "GET /api/payments/redirect/{payment_id}/{kind}": {
        "summary": "Gateway browser return (success|failure)",
    },
    "POST /api/payments/redirect/{payment_id}/{kind}": {
        "summary": "Gateway browser return (success|failure), form post",
    },
    "POST /api/payments/webhooks/{gateway}": {
        "summary": "Signed gateway webhook (komoju, paysession)",
    },
}


def describe(op_key: str, **meta) -> None:
    """Domains add their operations at import time."""
    OPERATIONS[op_key] = meta

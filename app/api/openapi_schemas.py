"""Request schemas and summaries per operation ("METHOD /path")."""

from __future__ import annotations

SCHEMAS: dict = {}

OPERATIONS: dict[str, dict] = {
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
}


def describe(op_key: str, **meta) -> None:
    """Domains add their operations at import time."""
    OPERATIONS[op_key] = meta

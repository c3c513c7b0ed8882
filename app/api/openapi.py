"""OpenAPI 3.1 description of the JSON API, built from the registered routes.

Each documented operation lists its request schema; every response uses the
ResponseDto envelope. Routes under /api/ that are not described here still appear,
with the generic envelope, so the document never silently omits an endpoint.
"""

from __future__ import annotations

import re

from flask import current_app

from app.api.openapi_schemas import OPERATIONS, SCHEMAS

ENVELOPE = {
    "type": "object",
    "required": ["success", "data", "error"],
    "properties": {
        "success": {"type": "boolean"},
        "data": {},
        "error": {
            "anyOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["code", "message", "details"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "details": {"type": "object"},
                    },
                },
            ]
        },
    },
}


def _path_of(rule) -> str:
    """`/api/orders/<int:order_id>` -> `/api/orders/{order_id}`."""
    return re.sub(r"<(?:[^:<>]+:)?([A-Za-z_][A-Za-z0-9_]*)>", r"{\1}", rule.rule)


def build_spec() -> dict:
    paths: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/") or rule.rule.startswith("/rpc/")):
            continue
        if rule.endpoint == "api.openapi":
            continue
        path = _path_of(rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op_key = f"{method} {path}"
            meta = OPERATIONS.get(op_key, {})
            op: dict = {
                "operationId": f"{rule.endpoint}_{method.lower()}",
                "summary": meta.get("summary", rule.endpoint),
                "responses": {
                    "default": {
                        "description": "ResponseDto envelope",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ResponseDto"}
                            }
                        },
                    }
                },
            }
            params = [
                {
                    "name": arg,
                    "in": "path",
                    "required": True,
                    "schema": {
                        "type": "integer" if f"<int:{arg}>" in rule.rule else "string"
                    },
                }
                for arg in sorted(rule.arguments)
            ]
            params += meta.get("parameters", [])
            if params:
                op["parameters"] = params
            if "requestBody" in meta:
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": meta["requestBody"]}},
                }
            if "response" in meta:
                op["responses"]["200"] = {
                    "description": "ResponseDto whose data is this",
                    "content": {
                        "application/json": {
                            "schema": {
                                "allOf": [
                                    {"$ref": "#/components/schemas/ResponseDto"},
                                    {"properties": {"data": meta["response"]}},
                                ]
                            }
                        }
                    },
                }
            if meta.get("auth"):
                op["security"] = [{"bearer": []}]
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Storefront API", "version": "1.0.0"},
        "servers": [{"url": current_app.config["PUBLIC_BASE_URL"]}],
        "paths": paths,
        "components": {
            "schemas": {"ResponseDto": ENVELOPE, **SCHEMAS},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }

"""Strict JSON body parsing: wrong types and missing fields are clear 400s."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _

from app.services_errors import ServiceError


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ServiceError(
            "VALIDATION_ERROR", _("The request body must be a JSON object.")
        )
    return body


def field(
    body: dict[str, Any],
    name: str,
    kind: type | tuple[type, ...],
    required: bool = True,
    default: Any = None,
) -> Any:
    if name not in body or body[name] is None:
        if required:
            raise ServiceError(
                "VALIDATION_ERROR",
                _("'%(field)s' is required.", field=name),
                400,
                {name: "required"},
            )
        return default
    value = body[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # bool is an int in Python; an id of `true` is still a wrong type.
    if isinstance(value, bool) and bool not in kinds:
        raise ServiceError(
            "VALIDATION_ERROR",
            _("'%(field)s' has the wrong type.", field=name),
            400,
            {name: "type"},
        )
    if not isinstance(value, kinds):
        raise ServiceError(
            "VALIDATION_ERROR",
            _("'%(field)s' has the wrong type.", field=name),
            400,
            {name: "type"},
        )
    if isinstance(value, str) and len(value) > 2000:
        raise ServiceError(
            "VALIDATION_ERROR",
            _("'%(field)s' is too long.", field=name),
            400,
            {name: "long"},
        )
    return value


def positive_id(body: dict[str, Any], name: str, required: bool = True) -> int | None:
    value = field(body, name, int, required)
    if value is not None and not (0 < value < 2**31):
        raise ServiceError(
            "VALIDATION_ERROR",
            _("'%(field)s' must be a positive id.", field=name),
            400,
            {name: "range"},
        )
    return value

"""Training API (seed 000): `POST /api/mobile/training/enroll` and the user's
enrollments."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_babel import gettext as _

from app.api.openapi_schemas import IDEMPOTENCY_HEADER, describe
from app.extensions import limiter
from app.http.auth import api_user
from app.http.idempotency import respond_idempotent
from app.http.parsing import field, json_body, positive_id
from app.http.responses import ok
from app.payments.handoff import init_response
from app.services_errors import ServiceError
from app.training import enrollment, services
from app.training.serializers import enrollment_dict

bp = Blueprint("training_api", __name__)

FORM_FIELDS = ("name", "email", "phone")


def _form_data(body: dict[str, Any]) -> dict[str, str]:
    form = field(body, "formData", dict)
    values = {}
    for name in FORM_FIELDS:
        value = form.get(name)
        if value is None:
            raise ServiceError(
                "VALIDATION_ERROR",
                _("'%(field)s' is required.", field="formData." + name),
                400,
                {f"formData.{name}": "required"},
            )
        if not isinstance(value, str) or len(value) > 300:
            raise ServiceError(
                "VALIDATION_ERROR",
                _("'%(field)s' must be a string.", field="formData." + name),
                400,
                {f"formData.{name}": "type"},
            )
        values[name] = value
    return values


@bp.post("/mobile/training/enroll")
@limiter.limit("30/minute")
def enroll():
    user = api_user()
    body = json_body()
    product_id = positive_id(body, "productId")
    cohort_id = positive_id(body, "cohortId")
    session_id = positive_id(body, "sessionId")
    promo = field(body, "promoCode", str, required=False)
    gateway = field(body, "gateway", str)
    return_url = field(body, "returnUrl", str, required=False)
    payment_type = field(body, "paymentType", str, required=False)
    form = _form_data(body)
    req = enrollment.EnrollmentRequest(
        product_id=product_id,
        cohort_id=cohort_id,
        session_id=session_id,
        gateway=gateway,
        name=form["name"],
        email=form["email"],
        phone=form["phone"],
        promo_code=promo,
        return_url=return_url,
        payment_type=payment_type,
    )

    def work() -> dict:
        order, payment = enrollment.enroll(user, req)
        return init_response(order, payment)

    return respond_idempotent(f"user:{user.id}", "mobile.training.enroll", body, work)


@bp.get("/mobile/training/enrollments")
def enrollments():
    user = api_user()
    return ok([enrollment_dict(e) for e in services.enrollments_for(user.id)])


describe(
    "POST /api/mobile/training/enroll",
    summary="Enroll in a training cohort and start its payment (seed 000)",
    auth=True,
    parameters=[IDEMPOTENCY_HEADER],
    requestBody={
        "type": "object",
        "required": ["productId", "cohortId", "sessionId", "gateway", "formData"],
        "properties": {
            "productId": {"type": "integer", "minimum": 1},
            "cohortId": {"type": "integer", "minimum": 1},
            "sessionId": {"type": "integer", "minimum": 1},
            "promoCode": {"type": ["string", "null"], "maxLength": 40},
            "gateway": {"type": "string", "examples": ["esewa"]},
            "paymentType": {"type": ["string", "null"]},
            "returnUrl": {"type": ["string", "null"], "format": "uri"},
            "formData": {
                "type": "object",
                "required": ["name", "email", "phone"],
                "properties": {
                    "name": {"type": "string", "maxLength": 120},
                    "email": {"type": "string", "format": "email"},
                    "phone": {"type": "string", "examples": ["+9779800000000"]},
                },
            },
        },
    },
)
describe(
    "GET /api/mobile/training/enrollments",
    summary="The caller's enrollments: status, cohort, session, order, access",
    auth=True,
)

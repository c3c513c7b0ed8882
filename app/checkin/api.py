"""Door apps: `POST /api/organizer/checkins`, the signed offline list, uploads.

A bearer token of a member of the event's organization with a door role; a
ticket of an event the caller cannot see is the same 404 as an unknown code.
"""

from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _

from app.api.openapi_schemas import describe
from app.checkin import offline, services
from app.checkin.states import ScanResult
from app.extensions import db, limiter
from app.http.auth import api_user
from app.http.parsing import field, json_body
from app.http.responses import ok
from app.organizer.access import require_event_role
from app.organizer.roles import CHECK_IN
from app.services_errors import Conflict, NotFound, ServiceError

bp = Blueprint("checkin_api", __name__)

# Every member role may work the door (owner, manager, staff, check-in).
DOOR_ROLES = tuple(CHECK_IN)


def _unknown() -> NotFound:
    return NotFound("TICKET_NOT_FOUND", _("No such ticket."))


def scan_error(scan: services.Scan) -> ServiceError:
    """The refusal of a scan as the API's error (the reason in `code`)."""
    ticket = scan.ticket
    details = {"code": scan.code}
    if ticket is not None:
        details.update(attendee=ticket.attendee_name, ticketType=scan.ticket_type)
    if scan.result == ScanResult.ALREADY_CHECKED_IN:
        details.update(
            firstCheckedInAt=services.iso(ticket.checked_in_at),
            gate=ticket.checked_in_gate,
        )
        return Conflict(
            "ALREADY_CHECKED_IN",
            _("This ticket was already checked in."),
            details=details,
        )
    if scan.result == ScanResult.REFUNDED:
        return Conflict(
            "TICKET_REFUNDED", _("This ticket was refunded."), details=details
        )
    if scan.result == ScanResult.CANCELLED:
        return Conflict(
            "TICKET_CANCELLED", _("This ticket's order is not paid."), details=details
        )
    if scan.result == ScanResult.WRONG_EVENT:
        return Conflict(
            "WRONG_EVENT", _("This ticket is for another event."), details=details
        )
    return _unknown()


def scan_body(scan: services.Scan) -> dict:
    ticket = scan.ticket
    return {
        "status": str(scan.result),
        "code": scan.code,
        "attendee": ticket.attendee_name,
        "attendeeEmail": ticket.attendee_email,
        "ticketType": scan.ticket_type,
        "eventId": scan.event_id,
        "checkedInAt": services.iso(ticket.checked_in_at),
        "gate": ticket.checked_in_gate,
    }


@bp.post("/organizer/checkins")
@limiter.limit("600/minute")
def check_in():
    user = api_user()
    body = json_body()
    unknown = set(body) - {"code", "gate", "eventId"}
    if unknown:
        raise ServiceError(
            "VALIDATION_ERROR",
            _("Unknown field(s): %(names)s.", names=", ".join(sorted(unknown))),
            400,
            {k: "unknown" for k in sorted(unknown)},
        )
    code = services.normalise_code(field(body, "code", str))
    gate = services.normalise_gate(field(body, "gate", str, required=False))
    event_id = field(body, "eventId", int, required=False)
    found = services.find_ticket(code)
    if found is None:
        raise _unknown()
    try:
        event = require_event_role(user, event_id or found[2].event_id, *DOOR_ROLES)
    except NotFound:
        raise (
            _unknown()
            if event_id is None
            else NotFound("EVENT_NOT_FOUND", _("No such event."))
        ) from None
    scan = services.check_in(event, code, gate, user.id)
    if not scan.admitted:
        raise scan_error(scan)
    db.session.commit()
    return ok(scan_body(scan))


@bp.get("/organizer/events/<int:event_id>/checkin-list")
def checkin_list(event_id: int):
    event = require_event_role(api_user(), event_id, *DOOR_ROLES)
    return ok(offline.checkin_list(event))


@bp.post("/organizer/events/<int:event_id>/checkin-scans")
@limiter.limit("120/minute")
def upload_scans(event_id: int):
    user = api_user()
    event = require_event_role(user, event_id, *DOOR_ROLES)
    body = json_body()
    scans = offline.parse_scans(body.get("scans"), body.get("gate"))
    results = offline.upload(event, scans, user.id)
    db.session.commit()
    return ok({"results": results})


describe(
    "POST /api/organizer/checkins",
    summary="Admit a ticket at the door (once): 409 ALREADY_CHECKED_IN with "
    "firstCheckedInAt and gate the second time",
    auth=True,
    requestBody={
        "type": "object",
        "additionalProperties": False,
        "required": ["code"],
        "properties": {
            "code": {"type": "string", "maxLength": 40},
            "gate": {"type": "string", "maxLength": services.GATE_MAX},
            "eventId": {"type": "integer", "minimum": 1},
        },
    },
)
describe(
    "GET /api/organizer/events/{event_id}/checkin-list",
    summary="The event's check-in list for offline gates: the signed JSON text "
    "(HMAC-SHA256) and its signature",
    auth=True,
)
describe(
    "POST /api/organizer/events/{event_id}/checkin-scans",
    summary="Upload admissions made offline; the earliest scan of a ticket wins "
    "(ties: the gate name that sorts first)",
    auth=True,
    requestBody={
        "type": "object",
        "required": ["scans"],
        "properties": {
            "gate": {"type": "string", "maxLength": services.GATE_MAX},
            "scans": {
                "type": "array",
                "maxItems": offline.MAX_UPLOAD,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["code", "scannedAt"],
                    "properties": {
                        "code": {"type": "string", "maxLength": 40},
                        "scannedAt": {"type": "string", "format": "date-time"},
                        "gate": {"type": "string", "maxLength": services.GATE_MAX},
                    },
                },
            },
        },
    },
)

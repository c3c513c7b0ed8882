"""`POST /api/mobile/events/checkout`: the seed 000/001 payment-init answer, strict
validation, idempotency, reservation, and refusals that change nothing."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from app.catalog.models import TicketType
from app.orders.models import Order, OrderItem
from app.payments.models import Payment
from tests.events.conftest import (
    attendees,
    checkout,
    checkout_body,
    count,
    follow_return,
    init,
    redirect_query,
)
from tests.support.komoju import complete, sandbox_session

SEED_KEYS = [
    "orderId",
    "status",
    "paymentId",
    "gatewayTransactionId",
    "initiationType",
    "redirectUrl",
    "gatewayPayload",
]


def reserved(db, ticket_type) -> tuple[int, int]:
    db.session.rollback()
    row = db.session.get(TicketType, ticket_type.id)
    db.session.refresh(row)
    return row.quantity_sold, row.reserved


def test_answers_the_seed_shape_and_creates_the_session(shop, live_url, db):
    data = init(shop, [(shop.general, 2), (shop.vip, 1)], "konbini")
    assert list(data) == SEED_KEYS
    assert data["status"] == "payment_pending"
    assert data["initiationType"] == "redirect"
    assert data["gatewayPayload"] == {}
    sid = data["gatewayTransactionId"]
    assert data["redirectUrl"] == f"{live_url}/_sandbox/komoju/sessions/{sid}"
    order = db.session.get(Order, data["orderId"])
    payment = db.session.get(Payment, data["paymentId"])
    assert order.kind == "event" and order.user_id == shop.buyer.id
    assert order.total == 2 * 3000 + 8000 and order.currency == "JPY"
    assert payment.method == "komoju_konbini" and payment.gateway_txn_id == sid
    session = sandbox_session(live_url, sid)
    assert session["amount"] == 14000 and session["currency"] == "JPY"
    assert session["payment_methods"] == [{"type": "konbini"}]
    assert session["return_url"] == (
        f"{live_url}/api/payments/redirect/{payment.id}/success"
    )
    assert session["payment_data"]["external_order_num"] == (
        f"{order.public_id}-{payment.id}"
    )
    assert session["email"] == "buyer@example.com"
    items = db.session.scalars(select(OrderItem).order_by(OrderItem.id)).all()
    assert [(i.ticket_type_id, i.quantity) for i in items] == [
        (shop.general.id, 2),
        (shop.vip.id, 1),
    ]
    assert items[0].attendees == attendees(2, f"t{shop.general.id}")
    assert reserved(db, shop.general) == (0, 2)
    assert reserved(db, shop.vip) == (0, 1)
    seats = shop.api.get(f"/api/events/{shop.event.id}").get_json()["data"]
    assert [t["seatsLeft"] for t in seats["ticketTypes"]] == [98, 9]


def test_card_session_offers_only_cards(shop, live_url, db):
    data = init(shop, [(shop.vip, 1)], "credit_card")
    session = sandbox_session(live_url, data["gatewayTransactionId"])
    assert session["payment_methods"] == [{"type": "credit_card"}]
    assert db.session.get(Payment, data["paymentId"]).method == "komoju_card"


def test_return_goes_to_the_clients_allow_listed_return_url(shop, live_url, db):
    data = init(
        shop,
        [(shop.vip, 1)],
        "credit_card",
        returnUrl="https://example.com/app/return",
    )
    location = complete(live_url, data["gatewayTransactionId"], "credit_card")
    resp = follow_return(location, accept_html=False)
    assert resp.status_code == 302
    target = resp.headers["Location"]
    assert target.startswith("https://example.com/app/return?")
    query = redirect_query(target)
    assert query["orderId"] == str(data["orderId"])
    assert query["paymentId"] == str(data["paymentId"])
    assert query["result"] == "success"


def _bad(shop, body_changes=None, lines=None, **extra):
    body = checkout_body(shop, lines or [(shop.general, 1)], "konbini", **extra)
    if body_changes:
        body_changes(body)
    return shop.api.post("/api/mobile/events/checkout", json=body)


def _set(path, value):
    def change(body):
        node = body
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return change


def _drop(key):
    return lambda body: body.pop(key)


@pytest.mark.parametrize(
    "change,detail",
    [
        (_drop("eventId"), "eventId"),
        (_set(["eventId"], "1"), "eventId"),
        (_set(["eventId"], True), "eventId"),
        (_drop("tickets"), "tickets"),
        (_set(["tickets"], []), "tickets"),
        (_set(["tickets"], {"ticketTypeId": 1}), "tickets"),
        (_set(["tickets", 0, "quantity"], 0), "tickets[0].quantity"),
        (_set(["tickets", 0, "quantity"], 11), "tickets[0].quantity"),
        (_set(["tickets", 0, "quantity"], "1"), "tickets[0].quantity"),
        (_set(["tickets", 0, "quantity"], True), "tickets[0].quantity"),
        (_set(["tickets", 0, "quantity"], 2), "tickets[0].attendees"),
        (_set(["tickets", 0, "ticketTypeId"], "x"), "tickets[0].ticketTypeId"),
        (_set(["tickets", 0, "attendees"], "Ann"), "tickets[0].attendees"),
        (_set(["tickets", 0, "attendees", 0, "email"], "nope"), "email"),
        (_set(["tickets", 0, "attendees", 0, "name"], ""), "name"),
        (_set(["tickets", 0, "attendees", 0, "name"], 5), "name"),
        (_set(["tickets", 0, "extra"], 1), "extra"),
        (_set(["paymentType"], "paypay"), "paymentType"),
        (_drop("paymentType"), "paymentType"),
        (_set(["coupon"], "X"), "coupon"),
    ],
)
def test_strict_validation_changes_nothing(shop, db, change, detail):
    resp = _bad(shop, change)
    assert resp.status_code == 400, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert any(detail in key for key in error["details"]), error
    assert count(db, Order) == 0 and count(db, Payment) == 0
    assert reserved(db, shop.general) == (0, 0)


def test_ticket_types_must_belong_to_the_event(shop, db, factory):
    _other, (foreign, _) = factory.event(shop.organizer)
    resp = _bad(shop, lines=[(foreign, 1)])
    assert resp.status_code == 400
    assert "tickets[0].ticketTypeId" in resp.get_json()["error"]["details"]
    twice = _bad(shop, lines=[(shop.general, 1), (shop.general, 1)])
    assert twice.status_code == 400
    assert count(db, Order) == 0


def test_unknown_event_and_missing_token(shop, db, client):
    resp = _bad(shop, _set(["eventId"], 999999))
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "EVENT_NOT_FOUND"
    anonymous = client.post(
        "/api/mobile/events/checkout", json=checkout_body(shop, [(shop.vip, 1)])
    )
    assert anonymous.status_code == 401
    assert count(db, Order) == 0


def test_return_url_must_be_allow_listed(shop, db):
    resp = _bad(shop, returnUrl="https://evil.example.net/steal")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "RETURN_URL_NOT_ALLOWED"
    assert count(db, Order) == 0 and reserved(db, shop.general) == (0, 0)


def test_sold_out_is_409_and_holds_nothing(shop, db):
    init(shop, [(shop.vip, 8)])
    resp = checkout(shop, [(shop.general, 1), (shop.vip, 3)])
    assert resp.status_code == 409
    error = resp.get_json()["error"]
    assert error["code"] == "SOLD_OUT"
    assert shop.vip.name in error["message"]
    assert error["details"]["seatsLeft"] == 2
    assert count(db, Order) == 1
    assert reserved(db, shop.general) == (0, 0)  # the whole order rolled back
    assert reserved(db, shop.vip) == (0, 8)
    assert checkout(shop, [(shop.vip, 2)]).status_code == 200
    assert reserved(db, shop.vip) == (0, 10)


def test_same_idempotency_key_same_answer_one_order(shop, db):
    first = checkout(shop, [(shop.vip, 2)], key="tix-1")
    again = checkout(shop, [(shop.vip, 2)], key="tix-1")
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    assert count(db, Order) == 1 and count(db, Payment) == 1
    assert reserved(db, shop.vip) == (0, 2)
    other = checkout(shop, [(shop.vip, 3)], key="tix-1")
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert count(db, Order) == 1 and reserved(db, shop.vip) == (0, 2)


def test_gateway_outage_is_503_and_holds_nothing(shop, live_url, db):
    requests.post(f"{live_url}/_sandbox/komoju/mode", json={"mode": "fail"}, timeout=5)
    try:
        resp = checkout(shop, [(shop.vip, 1)])
    finally:
        requests.post(
            f"{live_url}/_sandbox/komoju/mode", json={"mode": "ok"}, timeout=5
        )
    assert resp.status_code == 503
    assert resp.get_json()["error"]["code"] == "GATEWAY_UNAVAILABLE"
    assert count(db, Order) == 0 and reserved(db, shop.vip) == (0, 0)
    assert checkout(shop, [(shop.vip, 1)]).status_code == 200


def test_openapi_describes_the_endpoint(client):
    spec = client.get("/api/openapi.json").get_json()
    op = spec["paths"]["/api/mobile/events/checkout"]["post"]
    assert op["security"] == [{"bearer": []}]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["eventId", "tickets", "paymentType"]
    assert schema["properties"]["paymentType"]["enum"] == ["credit_card", "konbini"]


def test_attendees_are_optional_and_default_to_the_buyer(shop, db):
    """The existing body stays valid without `attendees` (issue #17): each
    ticket of such a line is the buyer's."""
    body = checkout_body(shop, [(shop.general, 2), (shop.vip, 1)])
    del body["tickets"][0]["attendees"]
    body["tickets"][1]["attendees"] = None
    resp = shop.api.post("/api/mobile/events/checkout", json=body)
    assert resp.status_code == 200, resp.get_json()
    items = db.session.scalars(select(OrderItem).order_by(OrderItem.id)).all()
    me = {"name": shop.buyer.name, "email": shop.buyer.email}
    assert items[0].attendees == [me, me]
    assert items[1].attendees == [me]

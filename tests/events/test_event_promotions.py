"""Issue #17, self-service promotions: an organizer's promo code for their own
event, made on the organizer pages, prices that event's ticket checkout only
(before tax, with the shop's limits and usage), and only owners and managers
may manage it."""

from __future__ import annotations

import re

import requests
from sqlalchemy import select

from app.admin.models import AuditLog
from app.orders.models import Order
from app.organizer.roles import Role
from app.promotions.models import Promotion, PromotionUsage
from tests.events.conftest import (
    checkout,
    follow_return,
    init,
    post_ticket_form,
    run_ours,
    ticket_form,
)
from tests.support.cart import fill_cart
from tests.support.factories import PASSWORD
from tests.support.komoju import complete, sandbox_session


def _login(client, user) -> None:
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 302


def _csrf(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _create(client, event_id: int, **over):
    url = f"/organizer/events/{event_id}/promotions/new"
    data = {
        "csrf_token": _csrf(client, url),
        "code": "KYOTO20",
        "kind": "percent",
        "value": "20",
        "max_uses": "5",
        "per_user_limit": "1",
    }
    data.update(over)
    return client.post(url, data=data)


def test_owner_creates_a_promotion_and_the_buyer_pays_less(
    shop, app, live_url, db, jobs
):
    organizer = app.test_client()
    _login(organizer, shop.organizer)
    setup = organizer.get(f"/organizer/events/{shop.event.id}/setup")
    assert f"/organizer/events/{shop.event.id}/promotions" in setup.get_data(
        as_text=True
    )
    resp = _create(organizer, shop.event.id)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    db.session.rollback()
    promo = db.session.scalar(select(Promotion).where(Promotion.code == "KYOTO20"))
    assert promo.event_id == shop.event.id and promo.value == 20
    (entry,) = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "promotion.create")
    )
    assert entry.user_id == shop.organizer.id
    listing = organizer.get(f"/organizer/events/{shop.event.id}/promotions")
    assert "KYOTO20" in listing.get_data(as_text=True)

    data = init(shop, [(shop.general, 2)], "credit_card", promoCode="kyoto20")
    order = db.session.get(Order, data["orderId"])
    assert order.subtotal == 6000 and order.discount == 1200
    assert order.promotion_id == promo.id
    # The discount comes off before tax (JPY prices include tax here or not:
    # either way the gross is the discounted subtotal plus any added tax).
    assert order.total == order.subtotal - order.discount + (
        0 if order.prices_include_tax else order.tax_total
    )
    session = sandbox_session(live_url, data["gatewayTransactionId"])
    assert session["amount"] == order.total < 6000

    # One use per customer: the open order holds it.
    again = checkout(shop, [(shop.general, 1)], "credit_card", promoCode="KYOTO20")
    assert again.status_code == 400
    assert again.get_json()["error"]["code"] == "PROMOTION_NOT_APPLICABLE"

    location = complete(live_url, data["gatewayTransactionId"], "credit_card")
    follow_return(location)
    run_ours(jobs)
    order = db.session.get(Order, data["orderId"])
    assert order.status == "paid"
    usage = db.session.scalar(
        select(PromotionUsage).where(PromotionUsage.order_id == order.id)
    )
    assert usage.discount == 1200
    assert db.session.get(Promotion, promo.id).uses_count == 1


def test_event_code_is_refused_elsewhere_and_shop_code_at_events(
    shop, factory, db, api
):
    other_event, other_types = factory.event(shop.organizer)
    factory.promotion(code="EVENTONLY", event_id=shop.event.id)
    factory.promotion(code="SHOPWIDE")
    course = factory.product("course", price=80000, title="Python Basics")

    body_other = {
        "eventId": other_event.id,
        "tickets": [{"ticketTypeId": other_types[0].id, "quantity": 1}],
        "paymentType": "konbini",
        "promoCode": "EVENTONLY",
    }
    resp = shop.api.post("/api/mobile/events/checkout", json=body_other)
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["error"]["code"] == "PROMOTION_NOT_APPLICABLE"

    resp = checkout(shop, [(shop.general, 1)], promoCode="SHOPWIDE")
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "PROMOTION_NOT_APPLICABLE"

    fill_cart(shop.api, course)
    resp = shop.api.post(
        "/api/orders/checkout", json={"gateway": "esewa", "promoCode": "EVENTONLY"}
    )
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "PROMOTION_NOT_APPLICABLE"
    db.session.rollback()
    assert db.session.scalar(select(Order.id).limit(1)) is None
    # The shop code still works for the cart, as before.
    ok = shop.api.post(
        "/api/orders/checkout", json={"gateway": "esewa", "promoCode": "SHOPWIDE"}
    )
    assert ok.status_code == 200, ok.get_json()


def test_roles_edit_and_deactivate(shop, factory, app, db):
    promo = factory.promotion(code="EARLY", event_id=shop.event.id)
    base = f"/organizer/events/{shop.event.id}/promotions"
    pages = (base, f"{base}/new", f"{base}/{promo.id}/edit")
    for role, status in ((Role.STAFF, 403), (Role.CHECK_IN, 403)):
        client = app.test_client()
        _login(client, factory.member(shop.event, role))
        token = _csrf(client, "/organizer/")
        for page in pages:
            assert client.get(page).status_code == status, (role, page)
        resp = client.post(f"{base}/{promo.id}/deactivate", data={"csrf_token": token})
        assert resp.status_code == status
    stranger_event, _types = factory.event()
    client = app.test_client()
    _login(client, factory.member(stranger_event, Role.OWNER))
    for page in pages:
        assert client.get(page).status_code == 404, page

    manager = app.test_client()
    _login(manager, factory.member(shop.event, Role.MANAGER))
    url = f"{base}/{promo.id}/edit"
    form = {
        "csrf_token": _csrf(manager, url),
        "code": "EARLY",
        "kind": "fixed",
        "value": "500",
    }
    assert manager.post(url, data=form).status_code == 303
    assert manager.post(url, data={**form, "value": "-1"}).status_code == 422
    assert manager.post(url, data={"code": "EARLY"}).status_code == 400  # CSRF
    token = _csrf(manager, base)
    assert (
        manager.post(
            f"{base}/{promo.id}/deactivate", data={"csrf_token": token}
        ).status_code
        == 303
    )
    db.session.rollback()
    promo = db.session.get(Promotion, promo.id)
    assert (promo.kind, promo.value, promo.currency) == ("fixed", 500, "JPY")
    assert not promo.active
    actions = db.session.scalars(
        select(AuditLog.action).where(AuditLog.target == f"Promotion#{promo.id}")
    ).all()
    assert actions == ["promotion.update", "promotion.deactivate"]
    resp = checkout(shop, [(shop.general, 1)], promoCode="EARLY")
    assert resp.status_code == 400


def test_event_page_form_takes_the_code(shop, factory, live_url, db):
    factory.promotion(code="WEB500", kind="fixed", value=500, event_id=shop.event.id)
    factory.promotion(code="SHOPONLY")
    browser = requests.Session()
    page = browser.get(f"{live_url}/events/{shop.event.id}", timeout=10).text
    assert 'name="promo_code"' in page
    form = {**ticket_form([(shop.general, 1)]), "promo_code": "SHOPONLY"}
    refused = post_ticket_form(browser, live_url, shop.event.id, form)
    assert refused.status_code == 422
    assert "not valid for this event" in refused.text
    form = {**ticket_form([(shop.general, 1)]), "promo_code": "web500"}
    resp = post_ticket_form(browser, live_url, shop.event.id, form)
    assert resp.status_code == 302, resp.text
    db.session.rollback()
    order = db.session.scalar(select(Order).where(Order.discount > 0))
    assert (order.subtotal, order.discount) == (3000, 500)

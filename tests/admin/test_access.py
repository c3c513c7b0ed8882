"""Only admins see the back office: everyone else gets 404 on every page."""

from __future__ import annotations

import re

import pytest

from tests.booklets.conftest import login, new_client


def admin_urls(app) -> list[tuple[str, set[str]]]:
    urls = []
    for rule in app.url_map.iter_rules():
        path = str(rule)
        if not path.startswith("/admin") or rule.endpoint.endswith(".static"):
            continue
        path = re.sub(r"<int:[^>]+>", "1", path)
        path = re.sub(r"<[^>]+>", "csv", path)
        urls.append((path, set(rule.methods) - {"HEAD", "OPTIONS"}))
    return sorted(urls)


def test_every_back_office_page_is_registered(app):
    paths = {p for p, _ in admin_urls(app)}
    for expected in (
        "/admin/",
        "/admin/products/",
        "/admin/cohorts/",
        "/admin/sessions/",
        "/admin/events_admin/",
        "/admin/ticket_types/",
        "/admin/promotions/",
        "/admin/payment_methods/",
        "/admin/users/",
        "/admin/merchant_keys/",
        "/admin/orders_admin/",
        "/admin/payments_admin/",
        "/admin/payment_events/",
        "/admin/outbox/",
        "/admin/needs_refund/",
        "/admin/shipping/",
        "/admin/bookfiles/",
        "/admin/audit_log/",
        "/admin/create_order/",
    ):
        assert expected in paths, expected
    assert len(paths) > 120


@pytest.mark.parametrize("who", ["anonymous", "customer", "organizer"])
def test_non_admins_get_404_everywhere(app, people, who, db):
    from app.admin.models import AuditLog
    from app.catalog.models import Product

    client = new_client(app)
    if who != "anonymous":
        login(client, getattr(people, who))
    for path, methods in admin_urls(app):
        for method in methods:
            resp = client.open(
                path, method=method, data={"name": "x", "rowid": "1", "action": "x"}
            )
            assert resp.status_code in (403, 404), (who, method, path, resp.status_code)
    db.session.rollback()
    assert db.session.query(AuditLog).count() == 0
    assert db.session.query(Product).count() == 0


def test_admin_sees_every_list_page(admin_client, app):
    for path, methods in admin_urls(app):
        if "GET" not in methods or "<" in path or path.count("/") > 3:
            continue
        if path.endswith(("/new/", "/edit/", "/details/", "/delete/", "/action/")):
            continue
        if "/ajax/" in path or "/export/" in path or path.endswith("/1/upload"):
            continue
        resp = admin_client.get(path)
        assert resp.status_code == 200, (path, resp.get_data(as_text=True)[:1500])


def test_admin_create_forms_render(admin_client):
    for name in (
        "products",
        "cohorts",
        "sessions",
        "events_admin",
        "ticket_types",
        "promotions",
        "payment_methods",
        "merchant_keys",
    ):
        resp = admin_client.get(f"/admin/{name}/new/")
        assert resp.status_code == 200, (name, resp.get_data(as_text=True)[:1500])
        assert 'name="csrf_token"' in resp.get_data(as_text=True)


def test_admin_forms_are_csrf_protected(app, admin_client, db):
    from app.catalog.models import Product

    form = {
        "type": "booklet",
        "slug": "csrf-test",
        "title": "CSRF test",
        "price": "100",
        "currency": "NPR",
    }
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        resp = admin_client.post("/admin/products/new/", data=form)
        assert resp.status_code == 400
        assert db.session.query(Product).count() == 0
        page = admin_client.get("/admin/products/new/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, page[:2000]
        resp = admin_client.post(
            "/admin/products/new/", data={**form, "csrf_token": token.group(1)}
        )
        assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
        # Bulk actions and deletes are guarded the same way.
        db.session.rollback()
        product = db.session.query(Product).one()
        resp = admin_client.post("/admin/products/delete/", data={"id": product.id})
        assert resp.status_code == 400
        # So are the back office's own operations.
        for path in (
            "/admin/shipping/1/ship",
            "/admin/needs_refund/1/resolve",
            "/admin/outbox/redrive/1",
            "/admin/create_order/",
        ):
            assert admin_client.post(path, data={"how": "dismiss"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.rollback()
    assert db.session.query(Product).count() == 1

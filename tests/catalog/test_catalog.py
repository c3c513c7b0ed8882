from app.cli import seed_demo_data


def test_catalog_api_lists_and_filters(api, factory):
    course = factory.product("course", price=130000)
    factory.product("digital_book", price=30000)
    data = api.get("/api/products").get_json()["data"]
    assert {p["type"] for p in data} == {"course", "digital_book"}
    only = api.get("/api/products?type=course").get_json()["data"]
    assert [p["id"] for p in only] == [course.id]
    assert only[0]["price"] == "1300.00" and only[0]["currency"] == "NPR"
    bad = api.get("/api/products?type=spaceship")
    assert (
        bad.status_code == 400 and bad.get_json()["error"]["code"] == "VALIDATION_ERROR"
    )


def test_training_detail_lists_cohorts_seats_and_sessions(api, factory):
    product, cohort, session = factory.training(capacity=3)
    data = api.get(f"/api/products/{product.id}").get_json()["data"]
    assert data["cohorts"][0]["seatsLeft"] == 3
    assert data["cohorts"][0]["sessions"][0]["id"] == session.id


def test_event_detail_lists_ticket_types_in_yen(api, factory):
    event, types = factory.event(quantities=(5, 2), prices=(3000, 8000))
    data = api.get(f"/api/events/{event.id}").get_json()["data"]
    assert [t["price"] for t in data["ticketTypes"]] == ["3000", "8000"]
    assert [t["seatsLeft"] for t in data["ticketTypes"]] == [5, 2]


def test_unknown_product_is_404_dto(api):
    resp = api.get("/api/products/999999")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "PRODUCT_NOT_FOUND"


def test_seed_demo_is_idempotent_and_pages_render(client, db):
    from sqlalchemy import func, select

    from app.catalog.models import Product

    seed_demo_data()
    count = db.session.scalar(select(func.count(Product.id)))
    seed_demo_data()
    assert db.session.scalar(select(func.count(Product.id))) == count
    home = client.get("/")
    assert home.status_code == 200
    assert b"Python Basics" in home.data and b"NPR 800.00" in home.data
    assert client.get("/products/fullstack-bootcamp").status_code == 200
    assert (
        b"3</strong> of 3 seats left" in client.get("/products/fullstack-bootcamp").data
    )
    assert client.get("/events").status_code == 200


def test_friendly_error_pages(client):
    resp = client.get("/products/no-such-thing")
    assert resp.status_code == 404
    assert b"We could not find that page" in resp.data


def test_security_headers(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_demo_logins_work_on_the_login_page(client):
    from app.cli import DEMO_PASSWORD, DEMO_USERS

    seed_demo_data()
    for email, _name, _role, _phone in DEMO_USERS:
        resp = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert resp.status_code == 302, (email, resp.get_data(as_text=True)[:300])
        client.post("/logout")

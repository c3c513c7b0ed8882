from sqlalchemy import func, select

from app.accounts.models import ApiToken, User


def test_register_login_logout_in_pages(client, db):
    resp = client.post(
        "/register",
        data={"name": "Sita", "email": "Sita@Example.com", "password": "long-enough-1"},
    )
    assert resp.status_code == 302
    user = db.session.scalar(select(User))
    assert user.email == "sita@example.com"
    assert user.password_hash != "long-enough-1"
    client.post("/logout")
    bad = client.post(
        "/login", data={"email": "sita@example.com", "password": "nope-nope"}
    )
    assert bad.status_code == 401
    assert b"Email or password is wrong" in bad.data
    good = client.post(
        "/login", data={"email": "sita@example.com", "password": "long-enough-1"}
    )
    assert good.status_code == 302
    assert client.get("/account").status_code == 200


def test_register_rejects_bad_input_and_changes_nothing(client, db, factory):
    factory.user(email="taken@example.com")
    for data in (
        {"name": "", "email": "a@example.com", "password": "long-enough-1"},
        {"name": "A", "email": "not-an-email", "password": "long-enough-1"},
        {"name": "A", "email": "b@example.com", "password": "short"},
        {"name": "A", "email": "taken@example.com", "password": "long-enough-1"},
    ):
        resp = client.post("/register", data=data)
        assert resp.status_code in (400, 409), data
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_login_next_param_cannot_redirect_off_site(client, factory):
    from tests.support.factories import PASSWORD

    user = factory.user()
    resp = client.post(
        "/login?next=https://evil.example/steal",
        data={"email": user.email, "password": PASSWORD},
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_api_register_and_token(api, db):
    resp = api.post(
        "/api/auth/register",
        json={
            "email": "m@example.com",
            "password": "long-enough-1",
            "name": "M",
            "phone": "+9779811111111",
        },
    )
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["success"] is True and body["error"] is None
    token = api.login("m@example.com", "long-enough-1")
    stored = db.session.scalar(select(ApiToken.token_hash))
    assert stored != token and len(stored) == 64
    me = api.get("/api/me").get_json()
    assert me["data"]["email"] == "m@example.com"


def test_api_auth_errors_are_response_dtos(api, factory):
    factory.user(email="x@example.com")
    cases = [
        (
            "/api/auth/register",
            {"email": 5, "password": "long-enough-1", "name": "M"},
            400,
        ),
        ("/api/auth/register", {"password": "long-enough-1", "name": "M"}, 400),
        (
            "/api/auth/register",
            {"email": "x@example.com", "password": "long-enough-1", "name": "M"},
            409,
        ),
        ("/api/auth/token", {"email": "x@example.com", "password": "wrong-pass"}, 401),
        ("/api/auth/token", ["not", "an", "object"], 400),
    ]
    for path, body, status in cases:
        resp = api.post(path, json=body)
        assert resp.status_code == status, (path, body, resp.get_json())
        dto = resp.get_json()
        assert dto["success"] is False and dto["data"] is None
        assert dto["error"]["code"] and dto["error"]["message"]


def test_bearer_token_required_and_checked(api):
    assert api.get("/api/me").status_code == 401
    api.token = "sft_forged"
    resp = api.get("/api/me")
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "UNAUTHORIZED"

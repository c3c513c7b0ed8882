"""/_dev/mail shows a message as its recipient sees it (issue #15): the HTML part
in a sandboxed frame and the attachments, for admins only."""

from __future__ import annotations

import pytest

from app.mail.services import deliver
from tests.support.factories import PASSWORD


@pytest.fixture
def mailbox(app, tmp_path):
    old = app.config["MAIL_URL"]
    app.config["MAIL_URL"] = f"file://{tmp_path}"
    yield tmp_path
    app.config["MAIL_URL"] = old


def test_html_part_and_attachments(mailbox, client, factory, app):
    admin = factory.user(role="admin")
    with app.test_request_context():
        deliver(
            "sita@example.com",
            "Your tickets",
            "plain words",
            '<p style="color:#123">Hello <strong>Sita</strong></p>',
            [("ticket-ABC.png", "image/png", b"\x89PNG\r\n\x1a\nfake")],
        )
    [eml] = list(mailbox.glob("*.eml"))
    assert client.get(f"/_dev/mail/{eml.name}").status_code == 404  # not admin
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    page = client.get(f"/_dev/mail/{eml.name}").get_data(as_text=True)
    assert 'id="mail-html"' in page and "sandbox" in page
    assert "ticket-ABC.png" in page and "plain words" in page
    html = client.get(f"/_dev/mail/{eml.name}/html")
    assert "<strong>Sita</strong>" in html.get_data(as_text=True)
    policy = html.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "script" not in policy
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN"
    image = client.get(f"/_dev/mail/{eml.name}/attachments/0")
    assert image.mimetype == "image/png" and image.data.startswith(b"\x89PNG")
    assert client.get(f"/_dev/mail/{eml.name}/attachments/5").status_code == 404
    assert client.get("/_dev/mail/..%2Fsecret/html").status_code == 404


def test_the_mailbox_is_for_admins_only(mailbox, app, factory):
    """Issue #13 finding 9: anonymous visitors, customers and organizers get the
    same 404 as a switched-off mailbox on every mailbox address; admins see it."""
    with app.test_request_context():
        deliver("sita@example.com", "Your order key", "key=secret", None, [])
    [eml] = list(mailbox.glob("*.eml"))
    urls = [
        "/_dev/mail",
        f"/_dev/mail/{eml.name}",
        f"/_dev/mail/{eml.name}/html",
        f"/_dev/mail/{eml.name}/attachments/0",
    ]
    for role in (None, "customer", "organizer"):
        client = app.test_client()
        if role:
            user = factory.user(email=f"{role}@example.com", role=role)
            client.post("/login", data={"email": user.email, "password": PASSWORD})
        for url in urls:
            resp = client.get(url)
            assert resp.status_code == 404, (role, url)
            assert "sita@example.com" not in resp.get_data(as_text=True)
    admin = factory.user(email="admin@example.com", role="admin")
    client = app.test_client()
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    listing = client.get("/_dev/mail")
    assert listing.status_code == 200
    assert "sita@example.com" in listing.get_data(as_text=True)

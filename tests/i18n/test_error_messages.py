"""The mechanism round two builds on: a service error whose message is a lazy
gettext string reaches API clients and pages in the request's language, with the
same `code` in every language."""

from __future__ import annotations

import pytest
from flask_babel import lazy_gettext as _l


@pytest.fixture
def error_app(redis_client, tmp_path):
    from app import create_app
    from app.services_errors import NotFound

    app = create_app(
        {
            "TESTING": True,
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'errors.db'}",
            "REDIS_CONNECTION": redis_client,
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "WTF_CSRF_ENABLED": False,
        }
    )

    def missing():
        raise NotFound("NOT_FOUND", _l("We could not find that page"))

    app.add_url_rule("/api/_probe", "probe_api", missing)
    app.add_url_rule("/_probe", "probe_page", missing)
    return app


def test_lazy_service_error_messages_follow_the_language(error_app):
    client = error_app.test_client()
    answers = {}
    for lang in ("en", "ja", "ne"):
        resp = client.get("/api/_probe", headers={"Accept-Language": lang})
        body = resp.get_json()
        assert resp.status_code == 404 and body["success"] is False
        answers[lang] = body["error"]
    assert {a["code"] for a in answers.values()} == {"NOT_FOUND"}
    assert answers["en"]["message"] == "We could not find that page"
    assert answers["ja"]["message"] == "ページが見つかりませんでした"
    assert answers["ne"]["message"] == "त्यो पृष्ठ भेटिएन"
    page = client.get("/_probe?lang=ja").get_data(as_text=True)
    assert "ページが見つかりませんでした" in page

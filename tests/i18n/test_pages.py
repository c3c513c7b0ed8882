"""Pages in the reader's language, money and zone (issue #16)."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.accounts.models import User
from app.catalog.models import Event, TrainingCohort
from app.cli import seed_demo_data
from app.i18n.formatting import datetime_text
from tests.support.factories import PASSWORD

DEVANAGARI = re.compile(r"[\u0900-\u097f]")


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)">', html).group(1)


def login(client, email):
    resp = client.post("/login", data={"email": email, "password": PASSWORD})
    assert resp.status_code == 302


def test_tokyo_event_in_japanese_starts_at_18_jst(client, db):
    seed_demo_data()
    event = db.session.scalar(select(Event).where(Event.slug == "tokyo-dev-meetup"))
    assert event.timezone == "Asia/Tokyo"
    assert event.starts_at.hour == 9 and event.starts_at.minute == 0  # UTC

    resp = client.get(f"/events/{event.id}", headers={"Accept-Language": "ja"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html_lang(html) == "ja"
    when = re.search(r'<p class="muted" id="event-when">(.*?)</p>', html, re.S).group(1)
    # One day, 18:00 to 22:00 in Tokyo, the zone named once.
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日\(.\) 18:00～22:00 JST", when), when
    assert "UTC" not in when
    assert "チケット" in html and "お支払いへ進む" in html
    assert "3,000円" in html and "8,000円" in html  # ja prices print 円
    assert f'datetime="{event.starts_at.isoformat()}Z"' in html  # machine time


def test_home_with_lang_ne_is_nepali_with_npr_prices(client, db):
    seed_demo_data()
    resp = client.get("/?lang=ne")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html_lang(html) == "ne"
    assert "सूची" in html and "पाठ्यक्रमहरू" in html
    assert "रू ८००.००" in html  # Python Basics, NPR 800.00
    assert "NPR" not in html.split("<main", 1)[1]  # one money format on the page
    body_text = re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1])
    assert len(DEVANAGARI.findall(body_text)) > 50
    assert "lang=ne" in resp.headers["Set-Cookie"]
    # The cookie keeps the choice, even against the browser's header.
    again = client.get("/", headers={"Accept-Language": "ja,en;q=0.5"})
    assert html_lang(again.get_data(as_text=True)) == "ne"


def test_accept_language_when_nothing_was_chosen(client):
    assert html_lang(client.get("/").get_data(as_text=True)) == "en"
    ja = client.get("/", headers={"Accept-Language": "ja-JP,ja;q=0.9,en;q=0.8"})
    assert html_lang(ja.get_data(as_text=True)) == "ja"
    other = client.get("/", headers={"Accept-Language": "fr-FR,de;q=0.8"})
    assert html_lang(other.get_data(as_text=True)) == "en"
    assert "Accept-Language" in ja.headers["Vary"] and "Cookie" in ja.headers["Vary"]


def test_unknown_language_and_zone_values_are_ignored(client):
    client.set_cookie("lang", "xx")
    client.set_cookie("tz", "../../etc/passwd")
    resp = client.get("/?lang=klingon")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html_lang(html) == "en"
    assert "Set-Cookie" not in resp.headers or "lang=" not in resp.headers["Set-Cookie"]
    assert "Times are shown in UTC" in html


def test_browser_zone_from_the_tz_cookie(client):
    client.set_cookie("tz", "Asia/Kathmandu")
    html = client.get("/").get_data(as_text=True)
    assert "Times are shown in Asia/Kathmandu (Nepal Time)" in html
    # Chromium still reports the old spelling; it reads as today's name.
    client.set_cookie("tz", "Asia/Katmandu")
    html = client.get("/").get_data(as_text=True)
    assert "Times are shown in Asia/Kathmandu (Nepal Time)" in html


def test_saved_choice_beats_the_cookie_and_lang_wins_for_one_page(client, factory, db):
    user = factory.user(email="sita@example.com", name="Sita")
    user.locale, user.timezone = "ja", "Asia/Tokyo"
    db.session.commit()
    login(client, "sita@example.com")
    client.set_cookie("lang", "ne")
    client.set_cookie("tz", "Asia/Kathmandu")
    html = client.get("/").get_data(as_text=True)
    assert html_lang(html) == "ja" and "Asia/Tokyo（JST）" in html
    assert html_lang(client.get("/?lang=en").get_data(as_text=True)) == "en"


def test_language_switch_saves_the_choice_of_a_logged_in_user(client, factory, db):
    factory.user(email="hanako@example.com", name="Hanako")
    login(client, "hanako@example.com")
    page = client.get("/events").get_data(as_text=True)
    assert 'action="/language"' in page and 'value="ja"' in page
    resp = client.post("/language", data={"lang": "ja", "next": "/events"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/events"
    assert "lang=ja" in resp.headers["Set-Cookie"]
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.email == "hanako@example.com"))
    assert user.locale == "ja"
    assert html_lang(client.get("/events").get_data(as_text=True)) == "ja"
    # Only same-site paths are followed; an unknown language changes nothing.
    away = client.post("/language", data={"lang": "ne", "next": "https://evil.test/"})
    assert away.headers["Location"] == "/"
    assert client.post("/language", data={"lang": "fr"}).status_code == 400
    db.session.rollback()
    assert db.session.get(User, user.id).locale == "ne"


def test_visitors_get_plain_links_that_keep_the_query(client):
    html = client.get("/events?page=2").get_data(as_text=True)
    links = dict(re.findall(r'<a href="([^"]+)" lang="(\w+)"', html))
    assert set(links.values()) == {"en", "ja", "ne"}
    assert "?page=2&amp;lang=ja" in links


def test_account_page_saves_language_and_time_zone(client, factory, db):
    user = factory.user(email="ram@example.com", name="Ram")
    login(client, "ram@example.com")
    page = client.get("/account").get_data(as_text=True)
    assert 'id="preferences-form"' in page and "Asia/Kathmandu" in page
    resp = client.post(
        "/account/preferences", data={"locale": "ne", "timezone": "Asia/Kathmandu"}
    )
    assert resp.status_code == 302
    db.session.rollback()
    user = db.session.get(User, user.id)
    assert (user.locale, user.timezone) == ("ne", "Asia/Kathmandu")
    html = client.get("/account").get_data(as_text=True)
    assert html_lang(html) == "ne" and "Asia/Kathmandu (नेपाल समय)" in html
    bad = client.post(
        "/account/preferences", data={"locale": "ne", "timezone": "Mars/Olympus"}
    )
    assert bad.status_code == 400
    db.session.rollback()
    assert db.session.get(User, user.id).timezone == "Asia/Kathmandu"
    client.post("/account/preferences", data={"locale": "", "timezone": ""})
    db.session.rollback()
    assert (db.session.get(User, user.id).locale, user.timezone) == (None, None)


def test_kathmandu_training_sessions_in_nepal_time(client, db):
    seed_demo_data()
    cohort = db.session.scalar(select(TrainingCohort).limit(1))
    assert cohort.timezone == "Asia/Kathmandu"
    session = cohort.sessions[0]
    html = client.get(
        f"/trainings/{cohort.product.slug}", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert datetime_text(session.starts_at, "Asia/Kathmandu", "en") in html
    assert "6:00\u202fPM Nepal Time" in html


def test_api_keeps_machine_formats_in_every_language(client, factory):
    product = factory.product("course", price=250000)
    for lang in ("ja", "ne"):
        data = client.get(
            f"/api/products/{product.id}", headers={"Accept-Language": lang}
        ).get_json()["data"]
        assert data["price"] == "2500.00" and data["currency"] == "NPR"

"""Every page in docs/pages.md at 360 px, as its role, on demo data (issue #15):
no horizontal overflow and no axe-core violation."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.axe import install, overflow, violations
from tests.support import demo
from tests.support.pages import read

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
LOGINS = {
    "customer": "customer@example.com",
    "organizer": "organizer@example.com",
    "admin": "admin@example.com",
}


def _context(browser, live_url, role):
    context = browser.new_context(base_url=live_url, viewport=PHONE)
    context.set_default_timeout(20000)
    install(context)
    page = context.new_page()
    if role in LOGINS:
        page.goto("/login")
        page.fill("input[name=email]", LOGINS[role])
        page.fill("input[name=password]", "demo-pass-123")
        page.click("#content button[type=submit]")
        page.wait_for_url("**/")
    return context, page


def test_every_listed_page_fits_a_phone_and_passes_axe(
    browser, live_url, app, db_backend, tmp_path
):
    if db_backend != "sqlite":
        pytest.skip("pages look the same on every database: swept once, on SQLite")
    smtp = app.config["MAIL_URL"]
    app.config["MAIL_URL"] = f"file://{tmp_path / 'mail'}"  # the dev mailbox
    try:
        problems = sweep(browser, live_url, demo.build(tmp_path / "mail"))
    finally:
        app.config["MAIL_URL"] = smtp
    assert not problems, "\n".join(problems)


def sweep(browser, live_url, world) -> list[str]:
    pages, _not_pages = read()
    problems = []
    for role in ("visitor", "customer", "organizer", "admin"):
        context, page = _context(browser, live_url, role)
        try:
            for listed in (p for p in pages if p.role == role):
                address = world.fill(listed.example)
                response = page.goto(address)
                where = f"{listed.name} ({address} as {role})"
                if response is None or response.status != 200:
                    problems.append(f"{where}: HTTP {response and response.status}")
                    continue
                if urlsplit(page.url).path != urlsplit(address).path:
                    problems.append(f"{where}: redirected to {page.url}")
                    continue
                wide, culprit = overflow(page)
                if wide > 0:
                    problems.append(f"{where}: {wide}px too wide ({culprit})")
                for v in violations(page):
                    problems.append(f"{where}: axe {v['rule']} ({v['impact']}) {v}")
        finally:
            context.close()
    return problems

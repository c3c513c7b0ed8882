"""Browser tests: Debian's chromium driven by Playwright, against the live server,
with a real `python worker.py` process finalising payments."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            "browser tests skipped: no chromium at /usr/bin/chromium "
            "(install Debian's package: apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_url):
    context = browser.new_context(base_url=live_url)
    context.set_default_timeout(20000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def worker(app, redis_url, smtp_sink, live_url, tmp_path):
    """A real worker process on the same database and Redis as the test app."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "PUBLIC_BASE_URL": live_url,
        "MAIL_URL": f"smtp://127.0.0.1:{smtp_sink.port}",
        "GATEWAY_MODE": "sandbox",
        "INSTANCE_PATH": str(tmp_path / "worker-instance"),
        "APP_ENV": "testing",
    }
    proc = subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "worker.log", "w"),  # noqa: SIM115
    )
    time.sleep(1.0)
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def login(page, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")

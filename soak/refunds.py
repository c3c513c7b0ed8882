"""The organizer refunds paid card orders of the event through the back office.

A real browser session: log in through the form, open the order page, submit its
refund form (CSRF token and the form's own key included); now and then the same
form twice, as a double click would. Orders are picked from the database, as
the organizer picks them from the event's order list.
"""

from __future__ import annotations

import random
import re

import requests

from bench.data import connect
from soak.customers import Refused, Shop, Unavailable

DEMO_ORGANIZER = ("organizer@example.com", "demo-pass-123")
CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
FORM_KEY = re.compile(r'<input[^>]*name="key"[^>]*value="([^"]*)"')


class Organizer:
    def __init__(self, shop: Shop, db_url: str):
        self.shop = shop
        self.db_url = db_url
        self.http = requests.Session()
        self.logged_in = False

    def _get(self, path: str) -> str:
        return self.shop.check(
            self.http.get(self.shop.url + path, timeout=20), "refund page"
        ).text

    def login(self) -> None:
        token = CSRF.search(self._get("/login")).group(1)
        email, password = DEMO_ORGANIZER
        resp = self.http.post(
            self.shop.url + "/login",
            data={"csrf_token": token, "email": email, "password": password},
            allow_redirects=False,
            timeout=20,
        )
        self.shop.check(resp, "organizer login")
        self.logged_in = resp.status_code == 302

    def refund_one(self) -> None:
        """Refund a random paid card order of the event, whole."""
        try:
            if not self.logged_in:
                self.login()
            order_id = self._pick()
            if order_id is None:
                return
            page = self._get(f"/organizer/orders/{order_id}")
            token, key = CSRF.search(page), FORM_KEY.search(page)
            if not token or not key:
                return  # already refunded: no form any more
            form = {"csrf_token": token.group(1), "key": key.group(1), "reason": "soak"}
            times = 2 if random.random() < 0.2 else 1
            for _ in range(times):
                resp = self.http.post(
                    f"{self.shop.url}/organizer/orders/{order_id}/refund",
                    data=form,
                    allow_redirects=False,
                    timeout=30,
                )
                self.shop.check(resp, "refund")
            self.shop.stats.add("refund", "ok")
        except Refused:
            self.shop.stats.add("refund", "refused")
        except (Unavailable, requests.RequestException, AttributeError) as exc:
            self.shop.stats.add("refund", "unavailable")
            with self.shop.stats.lock:
                self.shop.stats.reasons[("refund", "-", repr(exc)[:90])] += 1
            self.logged_in = False

    def _pick(self) -> int | None:
        with connect(self.db_url) as conn:
            row = conn.execute(
                """
                SELECT o.id FROM orders o JOIN payments p ON p.order_id = o.id
                WHERE o.kind = 'event' AND o.status = 'paid'
                  AND p.status = 'captured' AND p.method = 'komoju_card'
                ORDER BY random() LIMIT 1
                """
            ).fetchone()
        return row[0] if row else None

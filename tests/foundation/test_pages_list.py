"""docs/pages.md lists every page (issue #15): a new GET page route that is not
listed - or a listed route the app no longer has - fails here."""

from __future__ import annotations

import re

from tests.support.pages import OUTSIDE, read


def get_routes(app) -> set[str]:
    return {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.rule.startswith(OUTSIDE)
    }


def test_every_get_route_is_a_listed_page_or_a_named_exception(base_app):
    pages, not_pages = read()
    listed = {p.route for p in pages}
    assert not listed & set(not_pages), "a route is both a page and not a page"
    routes = get_routes(base_app)
    missing = sorted(routes - listed - set(not_pages))
    assert not missing, f"add these routes to docs/pages.md: {missing}"
    gone = sorted((listed | set(not_pages)) - routes)
    assert not gone, f"docs/pages.md lists routes the app does not have: {gone}"


def test_every_not_page_says_why(base_app):
    _pages, not_pages = read()
    assert all(len(reason) > 10 for reason in not_pages.values())


def test_examples_match_their_routes(base_app):
    """Each example is an address of its route (placeholders aside)."""
    adapter = base_app.url_map.bind("localhost")
    for page in read()[0]:
        path = re.sub(r"\{[^}]+\}", "1", page.example.split("?")[0])
        endpoint, _args = adapter.match(path, method="GET")
        rule = next(
            r for r in base_app.url_map.iter_rules(endpoint) if "GET" in r.methods
        )
        assert rule.rule == page.route, (page, rule.rule)

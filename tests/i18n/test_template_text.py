"""No template shows a person text that is not inside gettext."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.template_text import check_source

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
# The gateway sandboxes stand in for KOMOJU's, eSewa's and the payment-session
# gateway's own hosted pages: that text is theirs, not the shop's.
NOT_OURS = ("sandbox/",)


def ours() -> list[str]:
    names = sorted(
        str(p.relative_to(TEMPLATES))
        for p in TEMPLATES.rglob("*")
        if p.suffix in (".html", ".txt")
    )
    return [n for n in names if not n.startswith(NOT_OURS)]


def test_every_template_keeps_its_text_in_gettext(base_app):
    env = base_app.jinja_env
    findings = []
    for name in ours():
        source = (TEMPLATES / name).read_text(encoding="utf-8")
        findings += check_source(env, name, source)
    assert not findings, "text outside gettext:\n" + "\n".join(map(str, findings))


def test_the_templates_checked_include_pages_and_mail():
    names = ours()
    assert "base.html" in names and "events/event.html" in names
    assert "mail/order_on_hold.txt" in names and "mail/tickets.subject.txt" in names
    assert len(names) > 60


@pytest.mark.parametrize(
    "source, found",
    [
        ("<p>Hello</p>", ["Hello"]),
        ("<p>{{ name }} left</p>", ["left"]),
        ('<input placeholder="Your name">', ["Your name"]),
        ('<img alt="QR code" src="x">', ["QR code"]),
        ('<button aria-label="Close">×</button>', ["Close"]),
        ('<input type="submit" value="Send">', ["Send"]),
        ("{{ 'copy' if n == 1 else 'copies' }}", ["copy", "copies"]),
        ("{{ message or 'Nothing here' }}", ["Nothing here"]),
        ("{% if x %}<b>Sold out</b>{% endif %}", ["Sold out"]),
        ("<p>ネパール</p>", ["ネパール"]),
        ("<p>नेपाली</p>", ["नेपाली"]),
        ("{{ 'copies'|upper }}", ["copies"]),
    ],
)
def test_checker_finds_text_outside_gettext(base_app, source, found):
    findings = check_source(base_app.jinja_env, "probe.html", source)
    assert [f.text for f in findings] == found


@pytest.mark.parametrize(
    "source",
    [
        "<p>{{ _('Hello') }}</p>",
        "<p>{% trans name=n %}Hello {{ name }}{% endtrans %}</p>",
        '<input placeholder="{{ _(\'Your name\') }}" type="text" class="wide">',
        "<td>{{ price|money('JPY') }} · {{ n }} × — ← #{{ id }}</td>",
        '<a href="{{ url_for(\'catalog.home\') }}" id="home-link"></a>',
        "<script>var words = 'not text';</script>",
        '<input type="hidden" name="next" value="now">',
        "{{ 'paid'|label('order') }}",
    ],
)
def test_checker_accepts_gettext_symbols_and_code(base_app, source):
    assert check_source(base_app.jinja_env, "probe.html", source) == []


def test_text_templates_are_all_visible(base_app):
    findings = check_source(base_app.jinja_env, "probe.txt", "Order: {{ id }}\n")
    assert [f.text for f in findings] == ["Order:"]

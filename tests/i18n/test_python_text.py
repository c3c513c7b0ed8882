"""No Python module shows a person text that is not inside gettext: flashes,
service errors (pages and API `error.message`), abort() descriptions and the
helpers that pass their text on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.python_text import check_package, check_sources

ROOT = Path(__file__).resolve().parents[2]
# The gateway sandboxes stand in for the gateways' own systems: their text is
# theirs (docs/i18n.md), and babel.cfg does not extract it either.
NOT_OURS = ("app/sandbox/",)


def test_python_keeps_its_messages_in_gettext():
    findings = check_package(ROOT / "app", skip=NOT_OURS)
    assert not findings, "text outside gettext:\n" + "\n".join(map(str, findings))


def _check(body: str) -> list[str]:
    header = (
        "class ServiceError(Exception): ...\n"
        "class Conflict(ServiceError): ...\n"
        "class Refused(Conflict): ...\n"
    )
    return [f.text for f in check_sources({"app/x.py": header + body})]


@pytest.mark.parametrize(
    "body, found",
    [
        ("flash('Saved.', 'success')", ["'Saved.'"]),
        ("flash(f'Hello {name}.')", ["f'Hello {name}.'"]),
        ("raise ServiceError('CODE', 'No such thing.', 404)", ["'No such thing.'"]),
        ("raise Conflict('CODE', message='Taken.')", ["'Taken.'"]),
        ("raise Refused('CODE', 'Too late: ' + when)", ["'Too late: ' + when"]),
        ("raise Conflict('CODE', '%s left' % n)", ["'%s left' % n"]),
        ("raise Conflict('CODE', 'Only {}'.format(n))", ["'Only {}'.format(n)"]),
        ("raise Conflict('C', 'a.' if x else _('b'))", ["'a.' if x else _('b')"]),
        ("abort(400, description='Unknown language.')", ["'Unknown language.'"]),
        ("abort(400, 'Unknown language.')", ["'Unknown language.'"]),
        (
            "raise ValidationError('Ends before it starts.')",
            ["'Ends before it starts.'"],
        ),
        (
            "def bad(message, field):\n"
            "    return ServiceError('VALIDATION_ERROR', message, 400)\n"
            "raise bad('Enter a date.', 'date')",
            ["'Enter a date.'"],
        ),
        (
            "def note(text):\n    flash(text, 'info')\nnote('Done.')",
            ["'Done.'"],
        ),
    ],
)
def test_checker_finds_text_outside_gettext(body, found):
    assert _check(body) == found


@pytest.mark.parametrize(
    "body",
    [
        "flash(_('Saved.'), 'success')",
        "flash(_('Hello %(name)s.', name=name))",
        "flash(exc.message, 'error')",
        "raise ServiceError('VALIDATION_ERROR', _('No such thing.'), 404)",
        "raise Conflict('CODE', _l('Taken.'))",
        "raise Conflict('CODE', str(exc))",
        "raise Conflict('SOLD_OUT', ngettext('%(num)s left', '%(num)s left', n))",
        "abort(404)",
        "abort(400, description=_('Unknown language.'))",
        "raise Conflict('CODE', ': '.join(parts))",
        "raise Conflict('CODE', '...')",
    ],
)
def test_checker_passes_translated_text(body):
    assert _check(body) == []

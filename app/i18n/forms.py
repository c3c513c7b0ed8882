"""WTForms' own messages ("This field is required.") in the reader's language.

Flask-WTF translates them with the catalogs WTForms ships, which have Japanese
but no Nepali, so a Nepali page would show English under its fields. The shop's
forms derive from `Form`, whose messages come from the shop's own catalog (where
`BUILT_IN` puts them, translated with the rest of the shop's text) and, for a
message not listed there, from WTForms' catalog as before.
"""

from __future__ import annotations

from flask_babel import get_translations, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_catalog

# The messages of the validators and fields the shop's forms use, exactly as
# WTForms and Flask-WTF write them; listed so `make messages` extracts them.
BUILT_IN = (
    _l("This field is required."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Invalid URL."),
    _l("Field must be equal to %(other_name)s."),
    lazy_ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        1,
    ),
    lazy_ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        1,
    ),
    lazy_ngettext(
        "Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.",
        1,
    ),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Invalid value, must be one of: %(values)s."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid datetime value."),
    _l("Not a valid date value."),
    _l("Invalid CSRF Token."),
    _l("CSRF token missing."),
    _l("CSRF failed."),
    _l("CSRF token expired."),
    # Flask-WTF's CSRF refusals (a CSRFError's description, shown on the 400 page)
    _l("The CSRF token is missing."),
    _l("The CSRF session token is missing."),
    _l("The CSRF token has expired."),
    _l("The CSRF token is invalid."),
    _l("The CSRF tokens do not match."),
)


class FormTranslations:
    """WTForms' translations interface, answered from the shop's catalog first."""

    def gettext(self, string: str) -> str:
        ours = get_translations().ugettext(string)
        return ours if ours != string else wtforms_catalog.gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        ours = get_translations().ungettext(singular, plural, n)
        if ours not in (singular, plural):
            return ours
        return wtforms_catalog.ngettext(singular, plural, n)


translations = FormTranslations()


def translate_known(text: str) -> str:
    """A library's English message (e.g. Flask-WTF's CSRF refusal) in the
    reader's language when the catalog has it; any other text unchanged."""
    return get_translations().ugettext(text) if text else text


class Form(FlaskForm):
    """The shop's base form: Flask-WTF's, with messages in all three languages."""

    class Meta:
        def get_translations(self, form):
            return translations

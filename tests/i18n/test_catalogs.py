"""The ja and ne catalogs are complete, current with the source, and compiled."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.checkers import python_format
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from app.i18n import SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")
TRANSLATED = [code for code in SUPPORTED_LOCALES if code != "en"]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
}


def catalog(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


def source_msgids() -> set:
    """What `make messages` would extract from the code and templates now."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def msgids(cat) -> set:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in cat if m.id}


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(locale):
    cat = catalog(locale)
    assert not cat.fuzzy, f"{locale}: the catalog header is marked fuzzy"
    untranslated, fuzzy = [], []
    for message in cat:
        if not message.id:
            continue
        strings = message.string if message.pluralizable else (message.string,)
        if not all(s and s.strip() for s in strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert untranslated == [], f"{locale}: untranslated {untranslated}"
    assert fuzzy == [], f"{locale}: fuzzy {fuzzy}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_translations_keep_the_placeholders(locale):
    cat = catalog(locale)
    problems = []
    for message in cat:
        if not message.id or not message.python_format:
            continue
        try:
            python_format(cat, message)
        except Exception as exc:  # noqa: BLE001 - babel's TranslationError
            problems.append(f"{message.id!r}: {exc}")
    assert problems == []


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalog_is_current_with_the_source(locale):
    """A string added to a template or to Python without `make messages` fails
    here, and so does a catalog entry whose string no longer exists."""
    extracted = source_msgids()
    in_catalog = msgids(catalog(locale))
    assert sorted(map(str, extracted - in_catalog)) == [], "run `make messages`"
    assert sorted(map(str, in_catalog - extracted)) == [], "run `make messages`"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_compiled_catalog_matches_the_po_file(locale):
    """The committed .mo is what `pybabel compile` makes from the .po now."""
    expected = BytesIO()
    write_mo(expected, catalog(locale))
    mo_path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
    with mo_path.open("rb") as f:
        committed = read_mo(f)
    expected.seek(0)
    fresh = read_mo(expected)
    pairs = lambda cat: {m.id if isinstance(m.id, str) else tuple(m.id): m.string  # noqa: E731
                         for m in cat if m.id}  # fmt: skip
    assert pairs(committed) == pairs(fresh), "run `make messages`"


def test_japanese_and_nepali_are_written_in_their_scripts():
    """A spot check that nobody filled a catalog by copying the English."""
    ja, ne = catalog("ja"), catalog("ne")
    assert ja.get("Payment deadline").string == "支払期限"
    assert ja.get("Confirmation number").string == "確認番号"
    assert "受付番号" in ja.get("Payment number (receipt number)").string
    assert ja.get("Seven-Eleven").string == "セブン-イレブン"
    assert ne.get("Payment method").string == "भुक्तानी विधि"
    for message in ne:
        english = message.id if isinstance(message.id, str) else message.id[0]
        # Only placeholders and punctuation ("%(field)s: %(problem)s"): no words.
        wordless = not re.search(r"[A-Za-z]", PLACEHOLDER.sub("", english or ""))
        if message.id and message.id != "Storefront" and not wordless:
            text = (
                message.string if isinstance(message.string, str) else message.string[0]
            )
            assert any("\u0900" <= ch <= "\u097f" for ch in text), message.id

"""Every catalog is complete, current and consistent with the Dutch source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from dialogs.languages import DEFAULT_LANGUAGES

LOCALES = Path(__file__).resolve().parents[2] / "locales"
TRANSLATED = [code for code in DEFAULT_LANGUAGES if code != "nl"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
KEEP_AS_IS = [
    "112",
    "0800-9009",
    "0800-8115",
    "/wis",
    "/afspraak",
    "/start",
    "1315 AB",
    "06 12345678",
]
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def catalog(code: str) -> Catalog:
    with (LOCALES / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=code)


def template() -> Catalog:
    with (LOCALES / "messages.pot").open("rb") as handle:
        return read_po(handle)


def entries(cat: Catalog) -> list[tuple[str, str]]:
    found = []
    for message in cat:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        string = message.string if isinstance(message.string, str) else message.string[0]
        found.append((msgid, string or ""))
    return found


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalog_is_complete_and_not_fuzzy(code: str) -> None:
    cat = catalog(code)
    untranslated = [msgid for msgid, string in entries(cat) if not string.strip()]
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalog_has_exactly_the_templates_msgids(code: str) -> None:
    """No msgid missing and none left over: the catalog was updated after the last extract."""
    wanted = {msgid for msgid, _ in entries(template())}
    assert {msgid for msgid, _ in entries(catalog(code))} == wanted
    assert not catalog(code).obsolete


@pytest.mark.parametrize("code", TRANSLATED)
def test_placeholders_lines_and_fixed_texts_match_the_source(code: str) -> None:
    problems = []
    for msgid, string in entries(catalog(code)):
        if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(string)):
            problems.append(("placeholders", msgid))
        if msgid.count("\n") != string.count("\n"):
            problems.append(("lines", msgid))
        if msgid.count("• ") != string.count("• "):
            problems.append(("bullets", msgid))
        problems += [
            ("kept", f"{fixed} in {msgid}")
            for fixed in KEEP_AS_IS
            if fixed in msgid and fixed not in string
        ]
        if BIDI_CONTROLS.search(string):
            problems.append(("bidi control", msgid))
    assert problems == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_plural_forms_are_the_languages_own(code: str) -> None:
    cat = catalog(code)
    assert cat.num_plurals == {"en": 2, "uk": 3, "tr": 2, "ar": 6, "pl": 3}[code]
    for message in cat:
        if message.id and message.pluralizable:
            assert len(message.string) == cat.num_plurals, message.id


def test_the_checks_catch_a_broken_entry() -> None:
    broken = Catalog(locale="en")
    broken.add("Uw afspraaknummer: {reference}", "Your number: {ref}")
    [(msgid, string)] = entries(broken)
    assert PLACEHOLDER.findall(msgid) != PLACEHOLDER.findall(string)

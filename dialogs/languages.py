"""The languages WeerAan speaks: each named in its own language and script (CLDR via Babel).

Dutch is the source language. Any language with a catalog in ``locales/`` can be offered
(``WEERAAN_LANGUAGES``); its name, writing direction and date formats come from CLDR.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache
from typing import Final

from babel import Locale, UnknownLocaleError

DEFAULT_LOCALE: Final = "nl"
DEFAULT_LANGUAGES: Final = ("nl", "en", "uk", "tr", "ar", "pl")
FORMAT_LOCALES: Final[Mapping[str, str]] = {"en": "en_NL"}
"""Dates and times as read in the Netherlands: English with a 24-hour clock."""


@lru_cache(maxsize=64)
def _locale(code: str) -> Locale | None:
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def is_known(code: str) -> bool:
    return _locale(code) is not None


def language_name(code: str) -> str:
    """The language's own name in its own script, capitalised: "Українська", "Polski"."""
    locale = _locale(code)
    name = (locale.get_display_name(code) if locale else None) or code
    return name[:1].upper() + name[1:]


def is_right_to_left(code: str) -> bool:
    locale = _locale(code)
    return locale is not None and locale.character_order == "right-to-left"


def format_locale(code: str) -> str:
    """The CLDR locale used for dates and times in ``code``."""
    return FORMAT_LOCALES.get(code, code)


def ordered(codes: Iterable[str]) -> list[str]:
    """Dutch first, then the default languages in their order, then the rest by code."""
    found = set(codes) | {DEFAULT_LOCALE}
    known = [code for code in DEFAULT_LANGUAGES if code in found]
    return known + sorted(found - set(DEFAULT_LANGUAGES))


LANGUAGE_NAMES: Final[Mapping[str, str]] = {code: language_name(code) for code in DEFAULT_LANGUAGES}
RIGHT_TO_LEFT: Final = frozenset(code for code in DEFAULT_LANGUAGES if is_right_to_left(code))


def from_accept_language(header: str | None, offered: Collection[str]) -> str | None:
    """The offered language the ``Accept-Language`` header prefers most, if any."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        base = tag.strip().replace("_", "-").split("-")[0].lower()
        if base in offered and quality > 0:
            ranked.append((-quality, index, base))
    return min(ranked)[2] if ranked else None

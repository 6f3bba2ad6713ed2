"""Gettext catalogs: Dutch msgids translated per locale, with Dutch as the fallback."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from babel.support import NullTranslations, Translations

DOMAIN = "messages"
DEFAULT_LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


class Catalogs:
    """Compiled ``.mo`` catalogs loaded once; a missing catalog falls back to the msgid."""

    def __init__(self, directory: Path, locales: Iterable[str], domain: str = DOMAIN) -> None:
        self._translations: dict[str, NullTranslations] = {}
        for locale in locales:
            loaded = Translations.load(str(directory), [locale], domain)
            self._translations[locale] = loaded

    def gettext(self, locale: str, msgid: str) -> str:
        translations = self._translations.get(locale)
        if translations is None:
            return msgid
        text: str = translations.gettext(msgid)
        return text or msgid

    def has_catalog(self, locale: str) -> bool:
        return isinstance(self._translations.get(locale), Translations)


class SourceLanguage:
    """No translation at all: every msgid is shown as written (Dutch)."""

    def gettext(self, locale: str, msgid: str) -> str:
        return msgid

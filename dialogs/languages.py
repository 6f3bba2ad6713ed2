"""The languages WeerAan can speak, each named in its own language and script."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

DEFAULT_LOCALE: Final = "nl"
LANGUAGE_NAMES: Final[Mapping[str, str]] = {
    "nl": "Nederlands",
    "en": "English",
    "uk": "Українська",
    "tr": "Türkçe",
    "ar": "العربية",
    "pl": "Polski",
}
RIGHT_TO_LEFT: Final = frozenset({"ar"})

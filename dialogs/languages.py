"""The languages WeerAan can speak, each named in its own language and script."""

from __future__ import annotations

from collections.abc import Collection, Mapping
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

"""``weeraan poster``: the links from the settings (or flags), the texts from the catalogs,
the SVG to a file or to stdout.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from dialogs.i18n import Catalogs
from dialogs.languages import DEFAULT_LOCALE, is_right_to_left, language_name
from webhook.settings import Settings
from weeraan.poster.links import Link, LinkError, telegram_link, website_link
from weeraan.poster.svg import Poster, render_svg
from weeraan.poster.texts import translated


class PosterError(Exception):
    """The poster cannot be made as asked; the message says what to change."""


@dataclass(frozen=True)
class PosterRequest:
    language: str
    source: str
    bot_username: str | None = None
    website_url: str | None = None


def links_for(request: PosterRequest, settings: Settings) -> tuple[tuple[Link, ...], list[str]]:
    """The codes that can be made, and a note for each one that cannot (a missing setting)."""
    links, notes = [], []
    username = request.bot_username or settings.telegram.bot_username
    website = request.website_url or settings.public_url
    try:
        if username:
            links.append(telegram_link(username, request.source))
        else:
            notes.append(
                "no Telegram QR code: set WEERAAN_TELEGRAM__BOT_USERNAME or --bot-username"
            )
        if website:
            links.append(website_link(website, request.language, request.source))
        else:
            notes.append("no website QR code: set WEERAAN_PUBLIC_URL or --website-url")
    except LinkError as exc:
        raise PosterError(str(exc)) from exc
    if not links:
        raise PosterError("nothing to point to: " + "; ".join(notes))
    return tuple(links), notes


def build_poster(request: PosterRequest, settings: Settings) -> tuple[str, list[str]]:
    """The SVG text of the poster, and notes about codes left out."""
    language = request.language
    if language not in settings.languages:
        offered = ", ".join(settings.languages)
        raise PosterError(f"no poster in {language!r}: the offered languages are {offered}")
    catalogs = Catalogs(settings.locales_dir, [language])
    if language != DEFAULT_LOCALE and not catalogs.has_catalog(language):
        raise PosterError(f"the catalog for {language!r} is not compiled: run `make catalogs`")
    links, notes = links_for(request, settings)
    poster = Poster(
        locale=language,
        rtl=is_right_to_left(language),
        texts=translated(language, catalogs),
        links=links,
        language_names=tuple(language_name(code) for code in settings.languages),
    )
    return render_svg(poster), notes


def write_poster(svg: str, output: str, *, force: bool) -> str:
    """Write to ``output`` (``-`` is stdout); an existing file only with ``force``."""
    if output == "-":
        sys.stdout.write(svg)
        return "stdout"
    path = Path(output)
    if path.suffix.lower() != ".svg":
        raise PosterError(
            f"{output}: the poster is an SVG file (name it .svg); for a PDF, open it in a "
            "browser and print it on A4 without margins"
        )
    if path.exists() and not force:
        raise PosterError(f"{output} exists: add --force to replace it")
    path.write_text(svg, encoding="utf-8")
    return str(path)

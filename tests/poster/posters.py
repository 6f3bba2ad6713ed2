"""Helpers for the poster tests: make a poster from explicit settings, read its SVG back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final
from xml.etree.ElementTree import Element, fromstring

from babel.messages.pofile import read_po

from webhook.settings import Settings
from weeraan.poster.command import PosterRequest, build_poster

NS: Final = {"svg": "http://www.w3.org/2000/svg"}
LOCALES: Final = Path(__file__).resolve().parents[2] / "locales"
BOT: Final = "weeraan_test_bot"
SITE: Final = "https://weeraan.example.nl"
ISOLATES: Final = re.compile("[\u2066-\u2069]")
RUN: Final = re.compile(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z")


def settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"public_url": SITE, "telegram": {"bot_username": BOT}}
    return Settings(**(values | overrides))


def poster(language: str, source: str = "poster", **overrides: object) -> Element:
    svg, _notes = build_poster(PosterRequest(language, source), settings(**overrides))
    return read_svg(svg)


def read_svg(svg: str) -> Element:
    return fromstring(svg)  # noqa: S314 - the poster this test just made, not outside input


def catalog_text(language: str, msgid: str) -> str:
    """The translation in ``locales/<language>`` as written there (Dutch: the msgid)."""
    if language == "nl":
        return msgid
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        message = read_po(handle, locale=language)[msgid]
    assert message is not None and message.string, (language, msgid)
    return str(message.string)


def lines(root: Element, key: str) -> list[Element]:
    group = root.find(f".//svg:g[@data-text='{key}']", NS)
    assert group is not None, key
    return group.findall("svg:text", NS)


def shown_text(root: Element, key: str) -> str:
    """A paragraph's lines joined, without the isolation marks around left-to-right runs."""
    return " ".join(ISOLATES.sub("", line.text or "") for line in lines(root, key))


def qr_modules(root: Element, kind: str) -> list[list[bool]]:
    """The modules the SVG draws for ``#qr-<kind>``, read back from its path's runs."""
    group = root.find(f".//svg:g[@id='qr-{kind}']", NS)
    assert group is not None, kind
    background = group.find("svg:rect", NS)
    code = group.find("svg:g", NS)
    path = group.find("svg:g/svg:path", NS)
    assert background is not None and code is not None and path is not None
    unit = float(code.get("transform", "").rsplit("scale(", 1)[1].rstrip(")"))
    size = round(float(background.get("width", "0")) / unit) - 8  # 4 modules of quiet zone
    modules = [[False] * size for _ in range(size)]
    data = path.get("d", "")
    assert RUN.sub("", data) == "", "the path has only runs of modules"
    for x, y, width, back in RUN.findall(data):
        assert width == back
        for column in range(int(x), int(x) + int(width)):
            modules[int(y)][column] = True
    return modules

"""The posters drawn by Chromium: every line and code stays on the page, inside the margins,
and nothing overlaps. Without ``/usr/bin/chromium`` these tests are skipped (failed under
``CI=true``), as the widget's browser tests are.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from dialogs.languages import DEFAULT_LANGUAGES
from tests.poster.posters import settings
from tests.widget.browser import CHROMIUM, CHROMIUM_ARGS
from weeraan.poster.command import PosterRequest, build_poster
from weeraan.poster.links import telegram_link, website_link
from weeraan.poster.svg import Poster, render_svg
from weeraan.poster.texts import SOURCE

A4 = {"width": 794, "height": 1123}  # 210 × 297 mm at 96 pixels per inch
INSIDE = 10.0  # mm from each edge: the layout keeps 14, a printer needs about 5
BOXES = """() => {
  const svg = document.documentElement;
  const page = svg.getBoundingClientRect();
  const mm = page.width / 210;
  const box = (element, name) => {
    const r = element.getBoundingClientRect();
    return {name, text: element.textContent, left: (r.left - page.left) / mm,
            top: (r.top - page.top) / mm, right: (r.right - page.left) / mm,
            bottom: (r.bottom - page.top) / mm};
  };
  return {
    page: {width: page.width / mm, height: page.height / mm},
    items: [
      ...[...svg.querySelectorAll("text")].map(
        (t) => box(t, t.closest("[data-text]").getAttribute("data-text"))),
      ...[...svg.querySelectorAll("g[id^='qr-']")].map((g) => box(g, g.id)),
    ],
    safety: box(svg.querySelector("[data-box='safety']"), "safety"),
  };
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium): browser tests skipped")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


def drawn(browser: Browser, svg: str, folder: Path) -> dict[str, Any]:
    path = folder / "poster.svg"
    path.write_text(svg, encoding="utf-8")
    page = browser.new_page(viewport=A4)
    try:
        page.goto(path.as_uri())
        result: dict[str, Any] = page.evaluate(BOXES)
    finally:
        page.close()
    return result


def overlap(a: dict[str, Any], b: dict[str, Any], slack: float = 0.2) -> bool:
    return (
        a["left"] < b["right"] - slack
        and b["left"] < a["right"] - slack
        and a["top"] < b["bottom"] - slack
        and b["top"] < a["bottom"] - slack
    )


def assert_fits(layout: dict[str, Any]) -> None:
    assert layout["page"] == pytest.approx({"width": 210, "height": 297}, abs=0.5)
    items = layout["items"]
    outside = [
        (item["name"], item["text"][:40])
        for item in items
        if item["left"] < INSIDE
        or item["top"] < INSIDE
        or item["right"] > 210 - INSIDE
        or item["bottom"] > 297 - INSIDE
    ]
    assert outside == []
    crossing = [
        (a["name"], b["name"])
        for index, a in enumerate(items)
        for b in items[index + 1 :]
        if overlap(a, b)
    ]
    assert crossing == []
    box = layout["safety"]
    for item in items:
        if item["name"] in ("danger", "gas"):
            assert box["left"] < item["left"] and item["right"] < box["right"], item["text"]
            assert box["top"] < item["top"] and item["bottom"] < box["bottom"], item["text"]


@pytest.mark.parametrize("language", DEFAULT_LANGUAGES)
def test_every_language_fits_the_page(browser: Browser, tmp_path: Path, language: str) -> None:
    svg, _notes = build_poster(PosterRequest(language, "poster"), settings())
    layout = drawn(browser, svg, tmp_path)
    assert_fits(layout)
    names = {item["name"] for item in layout["items"]}
    assert {"headline", "qr-telegram", "qr-website", "danger", "gas", "footer"} <= names


def test_arabic_lines_end_at_the_right_margin(browser: Browser, tmp_path: Path) -> None:
    svg, _notes = build_poster(PosterRequest("ar", "poster"), settings())
    items = drawn(browser, svg, tmp_path)["items"]
    for item in items:
        if item["name"] in ("headline", "who", "danger"):
            assert item["right"] == pytest.approx(
                210 - 14 - (4 if item["name"] == "danger" else 0), abs=1.5
            )
        if item["name"] == "qr-telegram":
            assert item["left"] > 105, "the first code is on the right in Arabic"


def test_a_translation_twice_as_long_is_made_smaller_and_still_fits(
    browser: Browser, tmp_path: Path
) -> None:
    """A longer future translation must not run off the page: the type shrinks."""
    svg, _notes = build_poster(PosterRequest("pl", "poster"), settings())
    normal = drawn(browser, svg, tmp_path)
    polish = [item for item in normal["items"] if item["name"] == "headline"]
    long_texts = replace(
        SOURCE, **{f.name: f"{getattr(SOURCE, f.name)} " * 2 for f in fields(SOURCE)}
    )
    links = (
        telegram_link("weeraan_test_bot", "poster"),
        website_link("https://weeraan.example.nl", "nl", "poster"),
    )
    names = ("Nederlands", "English", "Українська", "Türkçe", "العربية", "Polski")
    long_poster = Poster("nl", rtl=False, texts=long_texts, links=links, language_names=names)
    layout = drawn(browser, render_svg(long_poster), tmp_path)
    assert_fits(layout)
    headline = [item for item in layout["items"] if item["name"] == "headline"]
    assert headline[0]["bottom"] - headline[0]["top"] < polish[0]["bottom"] - polish[0]["top"]

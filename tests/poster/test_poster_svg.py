"""The poster's SVG read back as XML: A4, self-contained, black on white, the right words
from the right catalog, QR codes of the right links, right-to-left where the language is."""

from __future__ import annotations

from dataclasses import fields
from xml.etree.ElementTree import Element, tostring

import pytest
import segno

from dialogs.languages import DEFAULT_LANGUAGES
from tests.poster.posters import (
    BOT,
    NS,
    SITE,
    catalog_text,
    lines,
    poster,
    qr_modules,
    shown_text,
)
from weeraan.poster.texts import SOURCE

TELEGRAM_URL = f"https://t.me/{BOT}?start=poster"
WEBSITE_URL = f"{SITE}/?weeraan-lang={{language}}&weeraan-source=poster"


@pytest.fixture(scope="module", params=DEFAULT_LANGUAGES)
def svg(request: pytest.FixtureRequest) -> tuple[str, Element]:
    return request.param, poster(request.param)


def test_the_page_is_a4_in_millimetres(svg: tuple[str, Element]) -> None:
    language, root = svg
    assert root.get("width") == "210mm"
    assert root.get("height") == "297mm"
    assert root.get("viewBox") == "0 0 210 297"
    assert root.get("lang") == language


def test_nothing_is_loaded_from_outside_and_only_black_and_white_is_used(
    svg: tuple[str, Element],
) -> None:
    _language, root = svg
    markup = tostring(root, encoding="unicode")
    for outside in ("href", "<image", "@import", "@font-face", "url(", "<foreignObject", "<style"):
        assert outside not in markup
    colours = {e.get(a) for e in root.iter() for a in ("fill", "stroke") if e.get(a)}
    assert colours <= {"#000", "#fff", "none"}


def test_every_text_is_the_catalogs_translation(svg: tuple[str, Element]) -> None:
    language, root = svg
    keys = {"step_chat": "step1", "step_check": "step2", "step_intake": "step3"}
    telegram_and_website = {"telegram": "caption-telegram", "website": "caption-website"}
    keys |= telegram_and_website
    for field in fields(SOURCE):
        msgid = getattr(SOURCE, field.name)
        key = keys.get(field.name, field.name)
        assert shown_text(root, key) == " ".join(catalog_text(language, msgid).split()), key


def test_a_translated_poster_has_no_dutch_left() -> None:
    root = poster("uk")
    dutch = {getattr(SOURCE, field.name) for field in fields(SOURCE)}
    texts = {shown_text(root, key) for key in ("headline", "promise", "who", "danger", "gas")}
    assert texts.isdisjoint(dutch)
    assert shown_text(root, "headline") == "Вам відключили газ чи електрику?"


def test_the_safety_line_gives_the_numbers_as_the_reference_does(
    svg: tuple[str, Element],
) -> None:
    _language, root = svg
    assert "112" in shown_text(root, "danger")
    assert "0800-9009" in shown_text(root, "gas")


@pytest.mark.parametrize(("kind", "url"), [("telegram", TELEGRAM_URL), ("website", WEBSITE_URL)])
def test_each_qr_code_is_the_code_of_its_link(
    svg: tuple[str, Element], kind: str, url: str
) -> None:
    language, root = svg
    expected = segno.make(url.format(language=language), error="m", micro=False)
    assert qr_modules(root, kind) == [[bool(m) for m in row] for row in expected.matrix]


def test_the_links_are_written_out_under_their_codes(svg: tuple[str, Element]) -> None:
    _language, root = svg
    assert shown_text(root, "link-telegram").replace(" ", "") == f"t.me/{BOT}?start=poster"
    assert shown_text(root, "link-website") == "weeraan.example.nl"


def test_the_source_goes_into_both_codes_and_the_language_into_the_website_code() -> None:
    root = poster("ar", source="brief_2026-11")
    urls = {
        "telegram": f"https://t.me/{BOT}?start=brief_2026-11",
        "website": f"{SITE}/?weeraan-lang=ar&weeraan-source=brief_2026-11",
    }
    for kind, url in urls.items():
        expected = segno.make(url, error="m", micro=False)
        assert qr_modules(root, kind) == [[bool(m) for m in row] for row in expected.matrix]
    assert shown_text(root, "link-website") == "weeraan.example.nl", "the page is printed"


def test_a_page_with_its_own_query_keeps_it_before_the_widgets_parameters() -> None:
    root = poster("tr", public_url="https://www.almere.nl/energie?id=7#chat")
    url = "https://www.almere.nl/energie?id=7&weeraan-lang=tr&weeraan-source=poster#chat"
    expected = segno.make(url, error="m", micro=False)
    assert qr_modules(root, "website") == [[bool(m) for m in row] for row in expected.matrix]


def test_arabic_is_set_right_to_left_and_its_links_left_to_right() -> None:
    root = poster("ar")
    for key in ("headline", "promise", "who", "step1", "danger", "gas", "footer"):
        for line in lines(root, key):
            assert line.get("direction") == "rtl", key
            assert line.get("text-anchor") == "start"
            assert float(line.get("x", "0")) > 150, "starts from the right margin"
    for kind in ("telegram", "website"):
        for line in lines(root, f"link-{kind}"):
            assert line.get("direction") == "ltr"
    # Latin words and numbers inside Arabic lines keep their order (first-strong isolates).
    assert any("\u2068PLANgroep\u2069" in (line.text or "") for line in lines(root, "step3"))


def test_dutch_is_set_left_to_right_from_the_left_margin() -> None:
    root = poster("nl")
    for line in lines(root, "headline"):
        assert line.get("direction") == "ltr"
        assert float(line.get("x", "0")) < 30


def test_with_only_a_public_url_the_poster_has_only_the_website_code() -> None:
    root = poster("nl", telegram={"bot_username": ""})
    assert root.find(".//svg:g[@id='qr-telegram']", NS) is None
    assert root.find(".//svg:g[@id='qr-website']", NS) is not None

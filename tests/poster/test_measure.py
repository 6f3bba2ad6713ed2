"""Wrapping by estimated width: words stay whole where they can, addresses break at / ? =."""

from __future__ import annotations

from weeraan.poster.measure import text_width, wrap, wrap_link


def test_lines_keep_every_word_in_order_and_fit_the_width() -> None:
    text = "Misschien kunt u zonder borg weer aan, als u meedoet met schuldhulp."
    lines = wrap(text, 60.0, 5.0)
    assert len(lines) > 1
    assert " ".join(lines) == text
    assert all(text_width(line, 5.0) <= 60.0 for line in lines)


def test_bold_is_wider_and_so_wraps_sooner() -> None:
    text = "Gas of stroom afgesloten? Misschien kunt u zonder borg weer aan."
    assert len(wrap(text, 120.0, 8.0, bold=True)) >= len(wrap(text, 120.0, 8.0))
    assert text_width(text, 8.0, bold=True) > text_width(text, 8.0)


def test_a_word_longer_than_a_line_is_broken() -> None:
    lines = wrap("schuldhulpverleningsbudgetbeheerovereenkomst", 30.0, 6.0)
    assert len(lines) > 1
    assert "".join(lines) == "schuldhulpverleningsbudgetbeheerovereenkomst"
    assert all(text_width(line, 6.0) <= 30.0 for line in lines)


def test_an_address_breaks_after_a_slash_or_question_mark() -> None:
    link = "t.me/WeerAanGemeenteAlmereBot?start=brief_budgetbeheer_2026"
    lines = wrap_link(link, 90.0, 4.6)
    assert "".join(lines) == link
    assert len(lines) > 1
    assert all(line.endswith(("/", "?", "=")) for line in lines[:-1])


def test_isolation_marks_take_no_room() -> None:
    assert text_width("\u2068PLANgroep\u2069", 5.0) == text_width("PLANgroep", 5.0)

"""Rendering replies: right-to-left text keeps numbers and codes readable."""

from __future__ import annotations

from dialogs.i18n import SourceLanguage
from dialogs.render import FSI, PDI, isolate_ltr, render_reply
from dialogs.replies import Button, Reply
from dialogs.text import Msg, Verbatim


def test_latin_and_digit_runs_are_isolated_in_rtl_text() -> None:
    text = "اتصلوا بالرقم 06 12345678 أو 0800-9009. الرمز WA-7K3Q في 1315 AB"
    isolated = isolate_ltr(text)
    for run in ("06 12345678", "0800-9009", "WA-7K3Q", "1315 AB"):
        assert f"{FSI}{run}{PDI}" in isolated
    assert isolated.replace(FSI, "").replace(PDI, "") == text, "nothing else changes"
    assert f"{FSI}0800-9009{PDI}." in isolated, "the full stop stays outside, at the end"
    assert isolate_ltr("Türkçe") == f"{FSI}Türkçe{PDI}", "one run, accents included"
    assert isolate_ltr("(سابقًا Nuon)") == f"(سابقًا {FSI}Nuon{PDI})"


def test_only_right_to_left_locales_get_isolates() -> None:
    reply = Reply((Msg("اتصلوا 0800-9009"),), (Button("a:b", Verbatim("WA-7K3Q")),))
    arabic = render_reply(reply, "ar", SourceLanguage())
    dutch = render_reply(reply, "nl", SourceLanguage())
    assert arabic.text == f"اتصلوا {FSI}0800-9009{PDI}"
    assert arabic.options[0].label == f"{FSI}WA-7K3Q{PDI}"
    assert dutch.text == "اتصلوا 0800-9009"
    assert FSI not in dutch.options[0].label


def test_today_and_tomorrow_are_said_in_words_in_each_language() -> None:
    from datetime import date

    from dialogs.render import format_when
    from dialogs.text import When

    today = date(2026, 11, 30)
    tomorrow = When(date(2026, 12, 1), "day", today)
    assert format_when(tomorrow, "nl") == "Morgen, dinsdag 1 december 2026"
    assert format_when(tomorrow, "pl").startswith("Jutro, wtorek")
    assert format_when(tomorrow, "ar").startswith("غدًا، ")
    assert format_when(When(today, "day", today), "en").startswith("Today, Monday")
    later = format_when(When(date(2026, 12, 3), "day", today), "nl")
    assert later == "donderdag 3 december 2026", "other days keep just the date"

"""Turning the engine's replies into plain, translated messages any channel can show."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time

from dialogs.languages import format_locale, is_right_to_left
from dialogs.model import InputKind
from dialogs.ports import Translator
from dialogs.replies import Reply
from dialogs.text import Bullets, Msg, Param, Text, Verbatim, When

_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class OptionView:
    id: str
    label: str


@dataclass(frozen=True)
class MessageView:
    """What a channel shows: text, buttons and the kind of input expected."""

    text: str
    options: tuple[OptionView, ...] = ()
    input: InputKind | None = None


def render_replies(
    replies: Iterable[Reply], locale: str, translator: Translator
) -> tuple[MessageView, ...]:
    return tuple(render_reply(reply, locale, translator) for reply in replies)


def render_reply(reply: Reply, locale: str, translator: Translator) -> MessageView:
    text = "\n\n".join(render_text(part, locale, translator) for part in reply.parts)
    options = tuple(
        OptionView(button.id, render_text(button.label, locale, translator))
        for button in reply.buttons
    )
    if is_right_to_left(locale):
        text = isolate_ltr(text)
        options = tuple(OptionView(o.id, isolate_ltr(o.label)) for o in options)
    return MessageView(text, options, reply.input)


_LTR = "0-9A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"  # digits, Latin, Greek, Cyrillic
_WORD = rf"[+/]?[{_LTR}](?:[{_LTR}@.+:/_-]*[{_LTR}])?"
_LTR_RUN = re.compile(rf"{_WORD}(?: {_WORD})*")
FSI, PDI = "\u2068", "\u2069"


def isolate_ltr(text: str) -> str:
    """In right-to-left text, keep each run of Latin letters and digits (a phone number
    "06 12345678", a postcode "1315 AB", a code "WA-7K3Q", a time) in its own order.

    Each run is wrapped in first-strong isolates (U+2068 … U+2069); copying keeps the
    characters in order, and the validators strip these marks from what residents type.
    """
    return _LTR_RUN.sub(lambda match: f"{FSI}{match.group(0)}{PDI}", text)


def render_text(text: Text, locale: str, translator: Translator) -> str:
    match text:
        case Verbatim():
            return text.text
        case Bullets():
            return "\n".join(f"• {render_text(item, locale, translator)}" for item in text.items)
        case When():
            return format_when(text, locale)
        case Msg():
            params = {k: _param(v, locale, translator) for k, v in text.params}
            return fill(translator.gettext(locale, text.msgid), text.msgid, params)


def format_when(when: When, locale: str) -> str:
    """A date or time in the reader's language; times in the zone they carry."""
    value = when.value
    locale = format_locale(locale)
    day = format_date(value, format="full", locale=locale)  # weekday, day, month and year
    if when.today is not None:
        day = _relative_day(value, when.today, locale, day)
    if when.style == "day" or not isinstance(value, datetime):
        return str(day)
    time = format_time(value, format="short", tzinfo=value.tzinfo, locale=locale)
    return str(time) if when.style == "time" else f"{day}{_comma(locale)}{time}"


def _comma(locale: str) -> str:
    return "، " if locale.split("_")[0] == "ar" else ", "


def _relative_day(value: date, today: date, locale: str, day: str) -> str:
    """ "Morgen, dinsdag 1 december 2026": CLDR's own words for today and tomorrow."""
    offset = ((value.date() if isinstance(value, datetime) else value) - today).days
    if offset not in (0, 1):
        return day
    try:  # Babel keeps CLDR's relative day names in its locale data (no public accessor)
        word = str(Locale.parse(locale)._data["date_fields"]["day"]["relative"][offset])
    except (KeyError, TypeError, UnknownLocaleError):
        return day
    return f"{word[:1].upper()}{word[1:]}{_comma(locale)}{day}"


def _param(value: Param, locale: str, translator: Translator) -> str:
    if isinstance(value, str):
        return value
    return render_text(value, locale, translator)


def fill(translated: str, msgid: str, params: Mapping[str, str]) -> str:
    """Fill in named parameters; a broken translation falls back to the Dutch source."""
    if not params:
        return translated
    for candidate in (translated, msgid):
        try:
            fields = {name for _, name, _, _ in _FORMATTER.parse(candidate) if name is not None}
            if fields <= params.keys():
                return candidate.format_map(params)
        except (ValueError, IndexError, KeyError):
            continue
    return msgid

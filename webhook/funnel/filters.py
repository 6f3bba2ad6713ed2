"""The funnel page's filters from the query string: period, language, channel, source.

A value that is not understood is refused with a Dutch message (the page answers 422), never
guessed at and never passed to the database as it came.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, timedelta
from typing import Final

from dialogs.funnel import SOURCE
from webhook.funnel.report import FunnelFilter

DEFAULT_DAYS: Final = 30
MAX_DAYS: Final = 3 * 366


class BadFilter(ValueError):
    """A filter value that cannot be used; the message is for the caseworker."""


def default_filter(today: date) -> FunnelFilter:
    return FunnelFilter(today - timedelta(days=DEFAULT_DAYS - 1), today)


def parse_filter(
    params: Mapping[str, str],
    *,
    today: date,
    languages: Collection[str],
    channels: Collection[str],
) -> FunnelFilter:
    """The filter the query string asks for; empty values mean the default (all)."""
    default = default_filter(today)
    first = _day(params.get("from", ""), default.first, "Begindatum")
    last = _day(params.get("to", ""), default.last, "Einddatum")
    if first > last:
        raise BadFilter("De begindatum ligt na de einddatum.")
    if (last - first).days >= MAX_DAYS:
        raise BadFilter("Kies een periode van hoogstens drie jaar.")
    locale = _choice(params.get("language", ""), languages, "Deze taal is onbekend.")
    channel = _choice(params.get("channel", ""), channels, "Dit kanaal is onbekend.")
    return FunnelFilter(first, last, locale, channel, _source(params.get("source", "")))


def _day(raw: str, default: date, name: str) -> date:
    raw = raw.strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadFilter(f"{name}: geef een datum als 2026-12-31.") from None


def _source(raw: str) -> str | None:
    """Any sound label (one that counted nothing just shows nothing)."""
    raw = raw.strip()
    if not raw:
        return None
    if not SOURCE.fullmatch(raw):
        raise BadFilter("Een herkomst bestaat uit hoogstens 64 letters, cijfers, _ en -.")
    return raw


def _choice(raw: str, allowed: Collection[str], problem: str) -> str | None:
    raw = raw.strip()
    if not raw:
        return None
    if raw not in allowed:
        raise BadFilter(problem)
    return raw

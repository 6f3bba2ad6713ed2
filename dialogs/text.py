"""Translatable text as data: the engine speaks in msgids, the service translates them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal


def N_(msgid: str) -> str:
    """Mark a Dutch source string for extraction without translating it here."""
    return msgid


@dataclass(frozen=True)
class When:
    """A date or time, formatted at the edge in the reader's language (Babel/CLDR)."""

    value: datetime | date
    style: Literal["day", "time", "full"] = "full"
    today: date | None = None
    """When given, "today" and "tomorrow" are said in words before the date."""


@dataclass(frozen=True)
class Msg:
    """A msgid with named parameters, translated and formatted at the edge."""

    msgid: str
    params: tuple[tuple[str, Param], ...] = ()

    @classmethod
    def of(cls, msgid: str, **params: Param) -> Msg:
        return cls(msgid, tuple(sorted(params.items())))


Param = str | When | Msg


@dataclass(frozen=True)
class Verbatim:
    """Text that must not be translated (a language's own name, a reference code)."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A list shown as bullet points, such as the reasons for a decision."""

    items: tuple[Msg, ...]


Text = Msg | Verbatim | Bullets | When

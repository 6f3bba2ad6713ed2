"""What can happen to a conversation: the engine's input, one frozen dataclass per kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dialogs.booking import BookingInfo, BookResult, SlotOffer
from dialogs.model import CommandName


@dataclass(frozen=True)
class Started:
    """A new conversation (``/start``, a new widget session, ``weeraan chat``)."""

    locale: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class OptionChosen:
    """A button was pressed; ``option_id`` is its stable id (``supplier:vattenfall``)."""

    option_id: str


@dataclass(frozen=True)
class TextEntered:
    """The resident typed something that is not a button label or command."""

    text: str


@dataclass(frozen=True)
class CommandGiven:
    """A global command (Terug, Opnieuw, Taal, Medewerker, stop, wis, privacy, hulp)."""

    name: CommandName


@dataclass(frozen=True)
class NonTextReceived:
    """A sticker, photo, voice message or anything else that is not text."""

    kind: str


@dataclass(frozen=True)
class DaysFound:
    """The booking port's answer: days with a free slot (for the mode asked)."""

    days: tuple[date, ...]
    today: date | None = None
    """The local date now: "today" and "tomorrow" are said as such."""


@dataclass(frozen=True)
class TimesFound:
    """The booking port's answer: free slots on the day asked."""

    slots: tuple[SlotOffer, ...]


@dataclass(frozen=True)
class BookingDone:
    """The booking port's answer to a booking or a move."""

    result: BookResult


@dataclass(frozen=True)
class BookingLookedUp:
    """The resident's active booking, if any (after a look-up or a cancellation)."""

    info: BookingInfo | None


PortAnswer = DaysFound | TimesFound | BookingDone | BookingLookedUp
Event = Started | OptionChosen | TextEntered | CommandGiven | NonTextReceived | PortAnswer

"""What the engine answers: messages to show and effects for the service to carry out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dialogs.booking import BookRequest
from dialogs.eligibility import Decision
from dialogs.model import InputKind
from dialogs.text import Text


@dataclass(frozen=True)
class Button:
    id: str
    label: Text


@dataclass(frozen=True)
class Reply:
    """One bot message: paragraphs of text, buttons, and the kind of input it expects."""

    parts: tuple[Text, ...]
    buttons: tuple[Button, ...] = ()
    input: InputKind | None = None


@dataclass(frozen=True)
class RequestCallback:
    """A caseworker should call the resident back."""

    phone: str
    part_of_day: str
    urgent: bool
    decision: Decision | None
    situation: str | None = None
    energy: str | None = None
    supplier: str | None = None


@dataclass(frozen=True)
class EraseData:
    """Erase everything of this conversation: the state and any personal data kept for it."""


@dataclass(frozen=True)
class ConversationFinished:
    """The conversation reached an end node (for counting outcomes; carries no answers)."""

    node: str
    outcome: str | None


@dataclass(frozen=True)
class FindDays:
    mode: str
    urgent: bool


@dataclass(frozen=True)
class FindTimes:
    mode: str
    day: date
    urgent: bool


@dataclass(frozen=True)
class MakeBooking:
    request: BookRequest


@dataclass(frozen=True)
class MoveBooking:
    slot_id: int


@dataclass(frozen=True)
class LookUpBooking:
    pass


@dataclass(frozen=True)
class CancelBooking:
    pass


Query = FindDays | FindTimes | MakeBooking | MoveBooking | LookUpBooking | CancelBooking
"""Effects whose answer the engine needs before it can go on (fed back as an event)."""

Effect = RequestCallback | EraseData | ConversationFinished | Query

"""Booking as the conversation sees it: plain data passed between engine, service and ports.

The engine asks for slots and bookings through effects (``replies.NeedsAnswer``); the
service answers them through the ``BookingDesk`` port and feeds the answer back as an event.
So the engine stays pure while the slots it offers are always the ones free right now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

Mode = Literal["office", "phone"]


@dataclass(frozen=True)
class SlotOffer:
    id: int
    starts_at: datetime
    ends_at: datetime
    mode: str


@dataclass(frozen=True)
class BookingInfo:
    """A resident's booking as shown to them (no staff-only fields)."""

    reference: str
    starts_at: datetime
    ends_at: datetime
    mode: str
    address: str
    status: str = "active"


@dataclass(frozen=True)
class BookRequest:
    """Everything the booking needs from the conversation (and nothing more)."""

    slot_id: int
    name: str
    phone: str
    email: str | None
    locale: str
    outcome: str | None
    urgent: bool
    reasons: tuple[str, ...]
    rule_version: str | None
    situation: str | None
    energy: str | None
    supplier: str | None


@dataclass(frozen=True)
class Booked:
    """The booking exists: ``new`` is false when it existed already (a repeated confirm)."""

    info: BookingInfo
    new: bool = True


@dataclass(frozen=True)
class SlotTaken:
    """Someone else took the slot meanwhile (or it closed)."""


@dataclass(frozen=True)
class HasOtherBooking:
    """The resident already has an active booking at another time."""

    info: BookingInfo


BookResult = Booked | SlotTaken | HasOtherBooking


def days_of(slots: list[SlotOffer] | tuple[SlotOffer, ...]) -> tuple[date, ...]:
    return tuple(sorted({slot.starts_at.date() for slot in slots}))

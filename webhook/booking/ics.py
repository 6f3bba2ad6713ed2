"""Calendar files (.ics) for an intake: a REQUEST when booked or moved, a CANCEL when cancelled.

The UID stays the same for the life of a booking and SEQUENCE grows with every change, so a
calendar program updates or removes the event it already has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from icalendar import Calendar, Event, vText

PRODID = "-//WeerAan//Intake//NL"


@dataclass(frozen=True)
class CalendarEntry:
    reference: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str
    description: str
    sequence: int
    method: Literal["REQUEST", "CANCEL"] = "REQUEST"


def uid_for(reference: str) -> str:
    return f"{reference.lower()}@weeraan"


def ics_bytes(entry: CalendarEntry, *, stamp: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", entry.method)
    event = Event()
    event.add("uid", uid_for(entry.reference))
    event.add("sequence", entry.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", entry.starts_at)
    event.add("dtend", entry.ends_at)
    event.add("summary", entry.summary)
    if entry.location:
        event.add("location", vText(entry.location))
    event.add("description", entry.description)
    event.add("status", "CANCELLED" if entry.method == "CANCEL" else "CONFIRMED")
    calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data

"""The .ics of a resident's latest booking (the widget's download link, the e-mail attachment)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.ports import ConversationKey, Translator
from webhook.booking.config import BookingConfig
from webhook.booking.ics import CalendarEntry, ics_bytes
from webhook.booking.payloads import resident_booking
from webhook.booking.times import utc
from webhook.outbox.messages import ResidentText, parse_instant, resident_text
from webhook.tables import bookings


def calendar_entry(payload: Mapping[str, Any], text: ResidentText) -> CalendarEntry:
    """The calendar event of a resident payload; CANCEL when the booking was cancelled."""
    method: Literal["REQUEST", "CANCEL"] = (
        "CANCEL" if payload.get("method") == "CANCEL" else "REQUEST"
    )
    return CalendarEntry(
        reference=str(payload["reference"]),
        # UTC ("…Z"): a fixed offset would become a TZID no calendar knows.
        starts_at=parse_instant(payload["starts_at"]).astimezone(UTC),
        ends_at=parse_instant(payload["ends_at"]).astimezone(UTC),
        summary=text.calendar_summary,
        location=text.calendar_location,
        description=text.calendar_description,
        sequence=int(payload.get("sequence") or 0),
        method=method,
    )


async def latest_calendar(
    engine: AsyncEngine, key: ConversationKey, config: BookingConfig, translator: Translator
) -> bytes | None:
    """The .ics of the resident's most recent booking, or ``None`` if they have none."""
    statement = (
        select(bookings)
        .where(bookings.c.channel == key.channel, bookings.c.external_id == key.external_id)
        .order_by(bookings.c.updated_at.desc(), bookings.c.id.desc())
        .limit(1)
    )
    async with engine.connect() as connection:
        row = (await connection.execute(statement)).first()
    if row is None:
        return None
    cancelled = row.status == "cancelled"
    payload = resident_booking(
        row,
        kind="cancellation" if cancelled else "confirmation",
        address=config.address,
        method="CANCEL" if cancelled else "REQUEST",
    )
    text = resident_text(payload, translator, channel="email")  # only its calendar part is used
    return ics_bytes(calendar_entry(payload, text), stamp=utc(row.updated_at))

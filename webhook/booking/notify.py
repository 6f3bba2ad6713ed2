"""Which notifications a booking change writes to the outbox, and to whom."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from webhook.booking.config import BookingConfig
from webhook.booking.payloads import resident_booking, staff_booking
from webhook.outbox.store import enqueue

BookingEvent = Literal["booking.created", "booking.cancelled", "booking.rescheduled"]
_RESIDENT_KIND = {
    "booking.created": "confirmation",
    "booking.cancelled": "cancellation",
    "booking.rescheduled": "rescheduled",
}


async def notify_booking(
    connection: AsyncConnection,
    row: Any,
    config: BookingConfig,
    *,
    event: BookingEvent,
    now: datetime,
) -> None:
    """Caseworkers hear of every change; a resident who gave an e-mail address gets it too."""
    row = config.vault.open_row(row)
    await enqueue(
        connection,
        event=event,
        payload=staff_booking(row, address=config.address),
        targets=config.staff_targets,
        now=now,
        vault=config.vault,
    )
    if config.resident_email and row.email:
        method = "CANCEL" if event == "booking.cancelled" else "REQUEST"
        payload = resident_booking(
            row, kind=_RESIDENT_KIND[event], address=config.address, method=method
        )
        await enqueue(
            connection,
            event=event,
            payload={**payload, "to": row.email},
            targets=["resident_email"],
            now=now,
            vault=config.vault,
        )

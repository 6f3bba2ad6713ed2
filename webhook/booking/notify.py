"""Which notifications a booking change writes to the outbox, and to whom.

Caseworkers hear of every change. A resident who gave an e-mail address gets it by e-mail.
A resident who booked on Telegram also gets a message in their chat when a caseworker
cancelled or moved the booking; their own changes already show in the chat. Widget residents
have no channel to push to: e-mail only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from webhook.booking.config import BookingConfig
from webhook.booking.payloads import resident_booking, staff_booking
from webhook.outbox.store import Target, enqueue

BookingEvent = Literal["booking.created", "booking.cancelled", "booking.rescheduled"]
Actor = Literal["resident", "staff"]
"""Who made the change: the resident in the conversation, or a caseworker."""
_RESIDENT_KIND = {
    "booking.created": "confirmation",
    "booking.cancelled": "cancellation",
    "booking.rescheduled": "rescheduled",
}


def resident_targets(
    row: Any, config: BookingConfig, *, event: BookingEvent, by: Actor
) -> list[tuple[Target, dict[str, Any]]]:
    """Where the resident hears of ``event``, each with its address (``row`` opened)."""
    found: list[tuple[Target, dict[str, Any]]] = []
    if config.resident_email and row.email:
        found.append(("resident_email", {"to": row.email}))
    told_in_chat = by == "resident" or event == "booking.created"
    if config.resident_telegram and row.channel == "telegram" and not told_in_chat:
        found.append(("resident_telegram", {"chat_id": row.external_id}))
    return found


async def notify_booking(
    connection: AsyncConnection,
    row: Any,
    config: BookingConfig,
    *,
    event: BookingEvent,
    by: Actor,
    now: datetime,
) -> None:
    """Write the caseworkers' rows and the resident's (``resident_targets``) for ``event``."""
    row = config.vault.open_row(row)
    await enqueue(
        connection,
        event=event,
        payload=staff_booking(row, address=config.address),
        targets=config.staff_targets,
        now=now,
        vault=config.vault,
    )
    method = "CANCEL" if event == "booking.cancelled" else "REQUEST"
    payload = resident_booking(
        row, kind=_RESIDENT_KIND[event], address=config.address, method=method, by=by
    )
    for target, address in resident_targets(row, config, event=event, by=by):
        await enqueue(
            connection,
            event=event,
            payload={**payload, **address},
            targets=[target],
            now=now,
            vault=config.vault,
        )

"""Reminders the day before an intake, in the resident's language and channel, exactly once.

From ``reminder_hour`` (local time) on, every active booking of tomorrow that has no
reminder yet is marked and its reminder rows are written to the outbox in one transaction:
a crash leaves either both or neither, and a cancelled booking is never reminded.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from webhook.booking.config import BookingConfig
from webhook.booking.payloads import resident_booking
from webhook.booking.times import utc
from webhook.db import writer
from webhook.outbox.store import Target, enqueue
from webhook.tables import bookings


def _targets(row: Any, config: BookingConfig) -> list[tuple[Target, dict[str, Any]]]:
    found: list[tuple[Target, dict[str, Any]]] = []
    if config.resident_telegram and row.channel == "telegram":
        found.append(("resident_telegram", {"chat_id": row.external_id}))
    if config.resident_email and row.email:
        found.append(("resident_email", {"to": row.email}))
    return found


async def send_due_reminders(engine: AsyncEngine, config: BookingConfig, *, now: datetime) -> int:
    """Write the reminders that are due now; returns how many bookings were reminded."""
    local = now.astimezone(config.zone)
    if local.hour < config.schedule.reminder_hour:
        return 0
    tomorrow = local.date() + timedelta(days=1)
    start = utc(datetime.combine(tomorrow, time(), config.zone))
    end = utc(datetime.combine(tomorrow + timedelta(days=1), time(), config.zone))
    async with writer(engine).begin() as connection:
        rows = (
            await connection.execute(
                select(bookings).where(
                    bookings.c.status == "active",
                    bookings.c.reminder_sent_at.is_(None),
                    bookings.c.starts_at >= start,
                    bookings.c.starts_at < end,
                )
            )
        ).all()
        reminded = 0
        for row in rows:
            reminded += await _remind(connection, row, config, now)
    return reminded


async def _remind(
    connection: AsyncConnection, row: Any, config: BookingConfig, now: datetime
) -> int:
    marked = await connection.execute(
        update(bookings)
        .where(bookings.c.id == row.id, bookings.c.reminder_sent_at.is_(None))
        .values(reminder_sent_at=now)
    )
    if marked.rowcount != 1:
        return 0
    row = config.vault.open_row(row)
    base = resident_booking(row, kind="reminder", address=config.address, method="REQUEST")
    for target, extra in _targets(row, config):
        await enqueue(
            connection,
            event="booking.reminder",
            payload={**base, **extra},
            targets=[target],
            now=now,
            vault=config.vault,
        )
    return 1

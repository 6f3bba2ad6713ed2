"""Reading bookings, call-backs, slots and dead notifications for caseworkers (Core SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from webhook.booking.times import utc
from webhook.tables import bookings, callback_requests, outbox, slots, staff

BOOKING_STATUSES = ("active", "cancelled", "attended", "no_show")

# "Claimed by": the staff member (dashboard, API), else the name from the Telegram staff chat.
_booking_claimer = staff.alias("booking_claimer")
_callback_claimer = staff.alias("callback_claimer")


@dataclass(frozen=True)
class BookingFilter:
    """Which bookings to list: a status, and local dates ``first`` to ``last`` (inclusive)."""

    status: str | None = None
    first: date | None = None
    last: date | None = None


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight at the start of ``day``, in UTC."""
    return utc(datetime.combine(day, time(), zone))


def _bookings() -> Select[Any]:
    claimer = func.coalesce(_booking_claimer.c.name, bookings.c.claimed_name)
    return select(bookings, claimer.label("claimed_by_name")).select_from(
        bookings.outerjoin(_booking_claimer, _booking_claimer.c.id == bookings.c.claimed_by)
    )


async def list_bookings(
    connection: AsyncConnection, wanted: BookingFilter, zone: ZoneInfo
) -> list[Any]:
    """Urgent first, then by time."""
    statement = _bookings()
    if wanted.status:
        statement = statement.where(bookings.c.status == wanted.status)
    if wanted.first:
        statement = statement.where(bookings.c.starts_at >= day_start(wanted.first, zone))
    if wanted.last:
        end = day_start(wanted.last + timedelta(days=1), zone)
        statement = statement.where(bookings.c.starts_at < end)
    statement = statement.order_by(bookings.c.urgent.desc(), bookings.c.starts_at, bookings.c.id)
    return list((await connection.execute(statement)).all())


async def booking_by_reference(connection: AsyncConnection, reference: str) -> Any | None:
    statement = _bookings().where(bookings.c.reference == reference.strip().upper())
    return (await connection.execute(statement)).first()


def _callbacks() -> Select[Any]:
    claimer = func.coalesce(_callback_claimer.c.name, callback_requests.c.claimed_name)
    return select(callback_requests, claimer.label("claimed_by_name")).select_from(
        callback_requests.outerjoin(
            _callback_claimer, _callback_claimer.c.id == callback_requests.c.claimed_by
        )
    )


async def open_callbacks(connection: AsyncConnection) -> list[Any]:
    """Call-back requests not done yet: urgent first, then oldest first."""
    statement = (
        _callbacks()
        .where(callback_requests.c.status == "open")
        .order_by(
            callback_requests.c.urgent.desc(),
            callback_requests.c.created_at,
            callback_requests.c.id,
        )
    )
    return list((await connection.execute(statement)).all())


async def callback_by_id(connection: AsyncConnection, callback_id: int) -> Any | None:
    statement = _callbacks().where(callback_requests.c.id == callback_id)
    return (await connection.execute(statement)).first()


async def count_open_callbacks(connection: AsyncConnection) -> int:
    statement = select(func.count()).where(callback_requests.c.status == "open")
    return int(await connection.scalar(statement) or 0)


async def slots_between(
    connection: AsyncConnection, first: date, last: date, zone: ZoneInfo
) -> list[Any]:
    statement = (
        select(slots)
        .where(
            slots.c.starts_at >= day_start(first, zone),
            slots.c.starts_at < day_start(last + timedelta(days=1), zone),
        )
        .order_by(slots.c.starts_at, slots.c.mode, slots.c.id)
    )
    return list((await connection.execute(statement)).all())


async def slot_by_id(connection: AsyncConnection, slot_id: int) -> Any | None:
    return (await connection.execute(select(slots).where(slots.c.id == slot_id))).first()


DEAD_LIMIT = 500


async def dead_notifications(connection: AsyncConnection) -> list[Any]:
    """Outbox rows given up on, newest first; never their payload (it holds personal data)."""
    statement = (
        select(
            outbox.c.id,
            outbox.c.event,
            outbox.c.target,
            outbox.c.attempts,
            outbox.c.last_error,
            outbox.c.created_at,
        )
        .where(outbox.c.status == "dead")
        .order_by(outbox.c.created_at.desc(), outbox.c.id.desc())
        .limit(DEAD_LIMIT)
    )
    return list((await connection.execute(statement)).all())

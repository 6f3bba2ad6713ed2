"""Intake slots in the database: made from the schedule, offered when free, opened and closed.

A slot is one start time for one mode with a capacity; ``booked`` counts its active
bookings and is changed only by a conditional UPDATE, so capacity holds under any load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from dialogs.booking import SlotOffer
from webhook.booking.config import BookingConfig
from webhook.booking.schedule import add_working_days, slot_times
from webhook.booking.times import utc
from webhook.tables import slots


@dataclass(frozen=True)
class Window:
    """The times a resident may book: after the minimum notice, before the horizon."""

    earliest: datetime
    latest: datetime


def window(config: BookingConfig, *, now: datetime, urgent: bool) -> Window:
    schedule = config.schedule
    earliest = now + timedelta(hours=schedule.min_notice_hours)
    today = now.astimezone(config.zone).date()
    if urgent:
        last_day = add_working_days(today, schedule.urgent_working_days)
    else:
        last_day = today + timedelta(days=schedule.horizon_days)
    latest = datetime.combine(last_day + timedelta(days=1), time(), config.zone)
    return Window(utc(earliest), utc(latest))


def _free(mode: str, span: Window) -> ColumnElement[bool]:
    return and_(
        slots.c.mode == mode,
        slots.c.closed.is_(False),
        slots.c.booked < slots.c.capacity,
        slots.c.starts_at >= span.earliest,
        slots.c.starts_at < span.latest,
    )


def _offer(row: object, config: BookingConfig) -> SlotOffer:
    return SlotOffer(
        id=row.id,  # type: ignore[attr-defined]
        starts_at=utc(row.starts_at).astimezone(config.zone),  # type: ignore[attr-defined]
        ends_at=utc(row.ends_at).astimezone(config.zone),  # type: ignore[attr-defined]
        mode=row.mode,  # type: ignore[attr-defined]
    )


async def free_slots(
    connection: AsyncConnection,
    config: BookingConfig,
    *,
    mode: str,
    now: datetime,
    urgent: bool,
    day: date | None = None,
) -> tuple[SlotOffer, ...]:
    """Free slots in the resident's window, in time order; only ``day`` if given."""
    span = window(config, now=now, urgent=urgent)
    if day is not None:
        start = utc(datetime.combine(day, time(), config.zone))
        end = utc(datetime.combine(day + timedelta(days=1), time(), config.zone))
        span = Window(max(span.earliest, start), min(span.latest, end))
    statement = (
        select(slots.c.id, slots.c.starts_at, slots.c.ends_at, slots.c.mode)
        .where(_free(mode, span))
        .order_by(slots.c.starts_at, slots.c.id)
    )
    rows = (await connection.execute(statement)).all()
    return tuple(_offer(row, config) for row in rows)


async def free_days(
    connection: AsyncConnection, config: BookingConfig, *, mode: str, now: datetime, urgent: bool
) -> tuple[date, ...]:
    """The days with a free slot (only the start times are read: this runs on many turns)."""
    span = window(config, now=now, urgent=urgent)
    starts = await connection.scalars(select(slots.c.starts_at).where(_free(mode, span)))
    return tuple(sorted({utc(moment).astimezone(config.zone).date() for moment in starts}))


async def take(connection: AsyncConnection, slot_id: int, *, earliest: datetime) -> bool:
    """Take one place in the slot if it is open, not full and not too soon: atomic."""
    statement = (
        update(slots)
        .where(
            slots.c.id == slot_id,
            slots.c.closed.is_(False),
            slots.c.booked < slots.c.capacity,
            slots.c.starts_at >= utc(earliest),
        )
        .values(booked=slots.c.booked + 1)
    )
    result = await connection.execute(statement)
    return result.rowcount == 1


async def release(connection: AsyncConnection, slot_id: int) -> None:
    """Give one place back (a cancelled or moved booking)."""
    await connection.execute(
        update(slots)
        .where(slots.c.id == slot_id, slots.c.booked > 0)
        .values(booked=slots.c.booked - 1)
    )


async def slot_row(connection: AsyncConnection, slot_id: int) -> object | None:
    return (await connection.execute(select(slots).where(slots.c.id == slot_id))).first()


async def materialise(
    connection: AsyncConnection, config: BookingConfig, *, first: date, last: date, now: datetime
) -> int:
    """Create the schedule's slots from ``first`` to ``last``; existing ones stay as they are."""
    rows = [
        {
            "starts_at": utc(t.starts_at),
            "ends_at": utc(t.ends_at),
            "mode": t.mode,
            "capacity": config.schedule.capacity,
            "booked": 0,
            "closed": False,
            "source": "schedule",
            "created_at": now,
        }
        for t in slot_times(config.schedule, first, last)
    ]
    if not rows:
        return 0
    insert = (postgresql if connection.dialect.name == "postgresql" else sqlite).insert(slots)
    statement = insert.on_conflict_do_nothing(index_elements=["starts_at", "mode"])
    result = await connection.execute(statement, rows)
    return max(result.rowcount, 0)


async def add_slot(
    connection: AsyncConnection,
    *,
    starts_at: datetime,
    minutes: int,
    mode: str,
    capacity: int,
    now: datetime,
) -> int:
    """An ad-hoc slot (from the staff API); reopens it if it exists and was closed."""
    insert = (postgresql if connection.dialect.name == "postgresql" else sqlite).insert(slots)
    values = {
        "starts_at": utc(starts_at),
        "ends_at": utc(starts_at + timedelta(minutes=minutes)),
        "mode": mode,
        "capacity": capacity,
        "booked": 0,
        "closed": False,
        "source": "adhoc",
        "created_at": now,
    }
    statement = insert.values(**values).on_conflict_do_update(
        index_elements=["starts_at", "mode"],
        set_={"closed": False, "capacity": insert.excluded.capacity},
    )
    await connection.execute(statement)
    found = await connection.scalar(
        select(slots.c.id).where(slots.c.starts_at == utc(starts_at), slots.c.mode == mode)
    )
    return int(found or 0)


async def close(
    connection: AsyncConnection, *, start: datetime, end: datetime, mode: str | None = None
) -> int:
    """Close every slot starting in [start, end): no new bookings (existing ones stay)."""
    condition = and_(slots.c.starts_at >= utc(start), slots.c.starts_at < utc(end))
    if mode:
        condition = and_(condition, slots.c.mode == mode)
    result = await connection.execute(update(slots).where(condition).values(closed=True))
    return result.rowcount

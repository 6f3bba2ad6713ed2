"""The SQL booking desk on SQLite and PostgreSQL: capacity, one booking each, moves, cancels."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.booking import Booked, HasOtherBooking, SlotTaken
from dialogs.ports import ConversationKey
from tests.booking.conftest import CONFIG, NOW, request, seeded
from webhook.booking.config import BookingConfig
from webhook.booking.reference import looks_like_reference
from webhook.settings import ScheduleSettings
from webhook.tables import bookings, outbox, slots

FATIMA = ConversationKey("widget", "fatima")
JAN = ConversationKey("telegram", "1001")


async def _first_slot(store, key=FATIMA, mode="office", urgent=False):  # type: ignore[no-untyped-def]
    async with store.turn(key) as tx:
        [day, *_] = await tx.bookings.free_days(mode=mode, urgent=urgent, now=NOW)
        offers = await tx.bookings.free_slots(mode=mode, day=day, urgent=urgent, now=NOW)
    return offers[0]


async def _count(db: AsyncEngine, table, *where) -> int:  # type: ignore[no-untyped-def]
    async with db.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(table).where(*where)))


async def test_free_days_skip_weekends_holidays_and_the_notice(db: AsyncEngine) -> None:
    store = await seeded(db)
    async with store.turn(FATIMA) as tx:
        days = await tx.bookings.free_days(mode="office", urgent=False, now=NOW)
        urgent_days = await tx.bookings.free_days(mode="office", urgent=True, now=NOW)
    assert days[0] == NOW.date(), "09:00 today is more than 2 hours away"
    assert all(day.weekday() < 5 for day in days)
    assert urgent_days == days[:4], "today plus the next 3 working days"
    assert max(days) <= NOW.date() + timedelta(days=CONFIG.schedule.horizon_days)


async def test_urgent_window_skips_christmas(db: AsyncEngine) -> None:
    christmas_eve = NOW.replace(month=12, day=24)
    store = await seeded(db)
    async with store.turn(FATIMA) as tx:
        days = await tx.bookings.free_days(mode="phone", urgent=True, now=christmas_eve)
    assert [d.day for d in days] == [24, 28, 29, 30]


async def test_booking_takes_a_place_writes_the_outbox_and_is_idempotent(db: AsyncEngine) -> None:
    store = await seeded(db)
    offer = await _first_slot(store)
    async with store.turn(FATIMA) as tx:
        first = await tx.bookings.book(request(offer.id), now=NOW)
    assert isinstance(first, Booked)
    assert first.new
    assert looks_like_reference(first.info.reference)
    assert first.info.address == "Voorbeeldstraat 1"
    assert first.info.starts_at == offer.starts_at
    async with store.turn(FATIMA) as tx:
        again = await tx.bookings.book(request(offer.id), now=NOW)
    assert again == Booked(first.info, new=False), "a repeated confirm is the same booking"
    assert await _count(db, bookings) == 1
    async with db.connect() as connection:
        booked = await connection.scalar(select(slots.c.booked).where(slots.c.id == offer.id))
        rows = (await connection.execute(select(outbox.c.target, outbox.c.payload))).all()
    assert booked == 1
    assert sorted(r.target for r in rows) == ["resident_email", "staff_email", "staff_webhook"]
    staff = json.loads(next(r.payload for r in rows if r.target == "staff_email"))
    assert staff["reference"] == first.info.reference
    assert staff["urgent"] is True
    assert staff["phone"] == "+31612345678"
    assert set(staff) >= {"name", "email", "language", "channel", "outcome", "reasons"}


async def test_one_active_booking_per_resident(db: AsyncEngine) -> None:
    store = await seeded(db)
    offer = await _first_slot(store)
    async with store.turn(FATIMA) as tx:
        await tx.bookings.book(request(offer.id), now=NOW)
    other = await _first_slot(store, mode="phone")
    async with store.turn(FATIMA) as tx:
        result = await tx.bookings.book(request(other.id), now=NOW)
    assert isinstance(result, HasOtherBooking)
    assert await _count(db, bookings) == 1


async def test_a_full_slot_is_taken(db: AsyncEngine) -> None:
    store = await seeded(db)
    offer = await _first_slot(store)
    async with store.turn(FATIMA) as tx:
        await tx.bookings.book(request(offer.id), now=NOW)
    async with store.turn(JAN) as tx:
        result = await tx.bookings.book(request(offer.id), now=NOW)
        free = await tx.bookings.free_slots(
            mode="office", day=offer.starts_at.date(), urgent=False, now=NOW
        )
    assert result == SlotTaken()
    assert offer.id not in [o.id for o in free], "a full slot is not offered any more"


async def test_move_frees_the_old_slot_and_bumps_the_sequence(db: AsyncEngine) -> None:
    store = await seeded(db)
    offer = await _first_slot(store)
    async with store.turn(FATIMA) as tx:
        booked = await tx.bookings.book(request(offer.id), now=NOW)
        later = (
            await tx.bookings.free_slots(
                mode="phone", day=offer.starts_at.date(), urgent=False, now=NOW
            )
        )[-1]
        moved = await tx.bookings.move(later.id, now=NOW)
    assert isinstance(booked, Booked)
    assert isinstance(moved, Booked)
    assert moved.info.reference == booked.info.reference
    assert (moved.info.starts_at, moved.info.mode) == (later.starts_at, "phone")
    async with db.connect() as connection:
        places = dict((await connection.execute(select(slots.c.id, slots.c.booked))).all())
        sequence = await connection.scalar(select(bookings.c.sequence))
        events = (await connection.execute(select(outbox.c.event))).scalars().all()
    assert places[offer.id] == 0
    assert places[later.id] == 1
    assert sequence == 1
    assert "booking.rescheduled" in events


async def test_cancel_frees_the_slot_at_once(db: AsyncEngine) -> None:
    store = await seeded(db)
    offer = await _first_slot(store)
    async with store.turn(FATIMA) as tx:
        await tx.bookings.book(request(offer.id), now=NOW)
    async with store.turn(FATIMA) as tx:
        cancelled = await tx.bookings.cancel(now=NOW)
        assert await tx.bookings.active() is None
        assert await tx.bookings.cancel(now=NOW) is None, "nothing left to cancel"
    assert cancelled is not None
    assert cancelled.status == "cancelled"
    async with store.turn(JAN) as tx:
        result = await tx.bookings.book(request(offer.id), now=NOW)
    assert isinstance(result, Booked), "the slot is free for someone else"
    cancelled_rows = await _count(db, outbox, outbox.c.event == "booking.cancelled")
    assert cancelled_rows == 3, "both staff targets and the resident (who gave an e-mail)"


async def test_a_failed_turn_keeps_no_booking_and_no_notification(db: AsyncEngine) -> None:
    store = await seeded(db)
    offer = await _first_slot(store)
    try:
        async with store.turn(FATIMA) as tx:
            await tx.bookings.book(request(offer.id), now=NOW)
            raise RuntimeError("crash after booking, before the turn ends")
    except RuntimeError:
        pass
    assert await _count(db, bookings) == 0
    assert await _count(db, outbox) == 0
    assert await _count(db, slots, slots.c.booked > 0) == 0


async def test_200_concurrent_confirmations_give_exactly_capacity_bookings(
    db: AsyncEngine,
) -> None:
    capacity = 3
    config = BookingConfig(
        schedule=ScheduleSettings(hours=["09:00-10:00"], intake_minutes=60, capacity=capacity)
    )
    store = await seeded(db, config)
    offer = await _first_slot(store)

    async def confirm(n: int) -> object:
        async with store.turn(ConversationKey("widget", f"resident-{n}")) as tx:
            return await tx.bookings.book(request(offer.id), now=NOW)

    results = await asyncio.gather(*(confirm(n) for n in range(200)))
    assert sum(isinstance(r, Booked) for r in results) == capacity
    assert sum(isinstance(r, SlotTaken) for r in results) == 200 - capacity
    assert await _count(db, bookings, bookings.c.slot_id == offer.id) == capacity
    async with db.connect() as connection:
        booked = await connection.scalar(select(slots.c.booked).where(slots.c.id == offer.id))
    assert booked == capacity


async def test_materialising_twice_changes_nothing(db: AsyncEngine) -> None:
    store = await seeded(db)
    before = await _count(db, slots)
    await seeded(db)
    assert before == await _count(db, slots) > 0
    assert store.config is CONFIG

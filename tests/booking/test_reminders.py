"""Reminders: the day before, from the set hour, exactly once, never for a cancelled booking."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.booking import Booked
from dialogs.ports import ConversationKey
from tests.booking.conftest import CONFIG, NOW, request, seeded
from webhook.booking.config import BookingConfig
from webhook.booking.reminders import send_due_reminders
from webhook.tables import outbox

CONFIG_TG = BookingConfig(
    schedule=CONFIG.schedule, staff_targets=(), resident_email=True, resident_telegram=True
)
TUESDAY = date(2026, 12, 1)


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CONFIG.zone)


async def _book(db: AsyncEngine, key: ConversationKey, day: date, email: str | None) -> str:
    store = await seeded(db, CONFIG_TG)
    async with store.turn(key) as tx:
        [offer, *_] = await tx.bookings.free_slots(mode="phone", day=day, urgent=False, now=NOW)
        result = await tx.bookings.book(request(offer.id, email=email, locale="tr"), now=NOW)
    assert isinstance(result, Booked)
    return result.info.reference


async def _reminders(db: AsyncEngine) -> list[tuple[str, dict[str, object]]]:
    async with db.connect() as connection:
        rows = await connection.execute(
            select(outbox.c.target, outbox.c.payload).where(outbox.c.event == "booking.reminder")
        )
        return [(r.target, json.loads(r.payload)) for r in rows]


async def test_reminder_at_the_hour_the_day_before_exactly_once(db: AsyncEngine) -> None:
    reference = await _book(db, ConversationKey("telegram", "1001"), TUESDAY, "a@example.nl")
    monday = TUESDAY - timedelta(days=1)
    assert await send_due_reminders(db, CONFIG_TG, now=_local(monday, 17, 59)) == 0
    assert await send_due_reminders(db, CONFIG_TG, now=_local(monday, 18, 0)) == 1
    assert await send_due_reminders(db, CONFIG_TG, now=_local(monday, 18, 5)) == 0
    sent = await _reminders(db)
    assert sorted(target for target, _ in sent) == ["resident_email", "resident_telegram"]
    for _, payload in sent:
        assert payload["reference"] == reference
        assert payload["locale"] == "tr"
        assert payload["kind"] == "reminder"
    telegram = dict(sent)["resident_telegram"]
    assert telegram["chat_id"] == "1001"


async def test_no_reminder_two_days_before_or_for_a_cancelled_booking(db: AsyncEngine) -> None:
    key = ConversationKey("widget", "w1")
    await _book(db, key, TUESDAY + timedelta(days=1), "a@example.nl")
    monday = TUESDAY - timedelta(days=1)
    assert await send_due_reminders(db, CONFIG_TG, now=_local(monday, 20)) == 0
    store = await seeded(db, CONFIG_TG)
    async with store.turn(key) as tx:
        await tx.bookings.cancel(now=NOW)
    assert await send_due_reminders(db, CONFIG_TG, now=_local(TUESDAY, 20)) == 0
    assert await _reminders(db) == []


async def test_a_widget_resident_without_email_has_no_channel(db: AsyncEngine) -> None:
    await _book(db, ConversationKey("widget", "w2"), TUESDAY, None)
    assert await send_due_reminders(db, CONFIG_TG, now=_local(TUESDAY - timedelta(1), 19)) == 1
    assert await _reminders(db) == [], "marked, but there is no way to reach them"

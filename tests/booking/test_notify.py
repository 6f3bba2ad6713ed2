"""Who hears of a booking change: caseworkers always, the resident by e-mail if they gave one,
and in their Telegram chat only when a caseworker made the change (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.booking import Booked
from dialogs.ports import ConversationKey
from tests.booking.conftest import CONFIG, NOW, request, seeded
from webhook.booking.config import BookingConfig
from webhook.booking.notify import notify_booking
from webhook.db import writer
from webhook.outbox.erasure import ERASED
from webhook.staff.desk import StaffDesk
from webhook.staff.members import add_staff
from webhook.store import SqlConversationStore
from webhook.tables import bookings, outbox

BOTH = BookingConfig(
    schedule=CONFIG.schedule,
    staff_targets=("staff_webhook",),
    resident_email=True,
    resident_telegram=True,
)
CHAT = ConversationKey("telegram", "7001")
ALL_THREE = ["staff_webhook", "resident_email", "resident_telegram"]
WIDGET = ConversationKey("widget", "w-7002")


async def _book(
    store: SqlConversationStore, key: ConversationKey, *, nth: int = 0, **changes: Any
) -> str:
    async with store.turn(key) as tx:
        [day, *_] = await tx.bookings.free_days(mode="office", urgent=False, now=NOW)
        offers = await tx.bookings.free_slots(mode="office", day=day, urgent=False, now=NOW)
        result = await tx.bookings.book(request(offers[nth].id, **changes), now=NOW)
    assert isinstance(result, Booked)
    return result.info.reference


async def _rows(db: AsyncEngine, event: str) -> list[tuple[str, dict[str, Any]]]:
    async with db.connect() as connection:
        found = await connection.execute(
            select(outbox.c.target, outbox.c.payload)
            .where(outbox.c.event == event)
            .order_by(outbox.c.id)
        )
        return [(row.target, json.loads(BOTH.vault.open_text(row.payload))) for row in found]


async def _staff_cancels(db: AsyncEngine, reference: str) -> None:
    anna = await add_staff(db, "Anna", now=NOW)
    desk = StaffDesk(db, BOTH, anna.member, clock=lambda: NOW + timedelta(minutes=5))
    row = await desk.set_outcome(reference, "cancelled")
    assert row.status == "cancelled"


async def test_a_caseworkers_cancellation_reaches_the_telegram_chat(db: AsyncEngine) -> None:
    store = await seeded(db, BOTH)
    reference = await _book(store, CHAT, locale="ar")
    await _staff_cancels(db, reference)

    sent = await _rows(db, "booking.cancelled")
    assert [target for target, _ in sent] == [
        "staff_webhook",
        "resident_email",
        "resident_telegram",
    ]
    telegram = sent[2][1]
    assert telegram["chat_id"] == "7001"
    assert (telegram["kind"], telegram["changed_by"]) == ("cancellation", "staff")
    assert (telegram["reference"], telegram["locale"]) == (reference, "ar")
    assert "to" not in telegram and "name" not in telegram and "phone" not in telegram
    assert sent[1][1]["changed_by"] == "staff"


async def test_a_residents_own_cancel_or_move_is_not_sent_to_their_chat(db: AsyncEngine) -> None:
    store = await seeded(db, BOTH)
    await _book(store, CHAT)
    async with store.turn(CHAT) as tx:
        [day, *_] = await tx.bookings.free_days(mode="office", urgent=False, now=NOW)
        [_, later, *_] = await tx.bookings.free_slots(mode="office", day=day, urgent=False, now=NOW)
        assert isinstance(await tx.bookings.move(later.id, now=NOW), Booked)
    async with store.turn(CHAT) as tx:
        assert await tx.bookings.cancel(now=NOW) is not None

    for event in ("booking.created", "booking.rescheduled", "booking.cancelled"):
        targets = [target for target, _ in await _rows(db, event)]
        assert targets == ["staff_webhook", "resident_email"], event


async def test_a_widget_resident_hears_only_by_email(db: AsyncEngine) -> None:
    store = await seeded(db, BOTH)
    with_mail = await _book(store, WIDGET)
    without = await _book(store, ConversationKey("widget", "w-7003"), nth=1, email=None)
    await _staff_cancels(db, with_mail)
    bert = StaffDesk(db, BOTH, (await add_staff(db, "Bert", now=NOW)).member)
    await bert.set_outcome(without, "cancelled")

    sent = await _rows(db, "booking.cancelled")
    assert [(target, payload["reference"]) for target, payload in sent] == [
        ("staff_webhook", with_mail),
        ("resident_email", with_mail),
        ("staff_webhook", without),
    ]


async def test_a_caseworkers_move_is_sent_to_the_chat_with_the_new_time(db: AsyncEngine) -> None:
    """The staff side has no move of its own yet: ``notify_booking`` is ready for it."""
    store = await seeded(db, BOTH)
    reference = await _book(store, CHAT, locale="uk", email=None)
    later = NOW + timedelta(days=2)
    async with writer(db).begin() as connection:
        await connection.execute(
            update(bookings)
            .where(bookings.c.reference == reference)
            .values(starts_at=later, ends_at=later + timedelta(hours=1), sequence=1)
        )
        row = (
            await connection.execute(select(bookings).where(bookings.c.reference == reference))
        ).one()
        await notify_booking(
            connection, row, BOTH, event="booking.rescheduled", by="staff", now=NOW
        )

    [(_, staff), (target, resident)] = await _rows(db, "booking.rescheduled")
    assert target == "resident_telegram"
    assert (resident["kind"], resident["changed_by"], resident["chat_id"]) == (
        "rescheduled",
        "staff",
        "7001",
    )
    assert resident["starts_at"] == staff["starts_at"] == later.isoformat()


async def test_erasure_removes_the_pending_chat_message_and_scrubs_the_caseworkers(
    db: AsyncEngine,
) -> None:
    store = await seeded(db, BOTH)
    reference = await _book(store, CHAT, locale="ar")
    await _staff_cancels(db, reference)
    before = [target for target, _ in await _rows(db, "booking.cancelled")]
    assert before == ALL_THREE
    async with store.turn(CHAT) as tx:  # /wis, before the worker delivered anything
        await tx.erase()

    sent = await _rows(db, "booking.cancelled")
    assert [target for target, _ in sent] == ["staff_webhook"]
    assert (sent[0][1]["name"], sent[0][1]["phone"], sent[0][1]["email"]) == (ERASED, ERASED, None)
    async with db.connect() as connection:
        targets = (await connection.scalars(select(outbox.c.target))).all()
    assert "resident_telegram" not in targets and "resident_email" not in targets

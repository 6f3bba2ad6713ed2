"""``purge`` on a moved clock, on SQLite and PostgreSQL: each limit kept just before, applied
just after."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.booking import Booked
from dialogs.ports import ConversationKey
from tests.booking.conftest import NOW, request, seeded
from tests.webhook.test_widget_api import GENEROUS, running
from webhook.booking import slots as agenda
from webhook.db import create_engine, writer
from webhook.migrate import upgrade
from webhook.outbox.erasure import CLEARED, ERASED
from webhook.retention import PurgeReport, purge
from webhook.settings import RetentionSettings, Settings
from webhook.staff.members import add_staff
from webhook.tables import (
    audit_log,
    bookings,
    callback_requests,
    conversations,
    handled_events,
    outbox,
    staff,
    staff_sessions,
    telegram_updates,
    widget_sessions,
)

LIMITS = RetentionSettings()
DAY = timedelta(days=1)


async def talk(db: AsyncEngine, channel: str, resident: str, *, at: datetime = NOW) -> None:
    async with writer(db).begin() as connection:
        await connection.execute(
            conversations.insert().values(
                channel=channel,
                external_id=resident,
                state=json.dumps(
                    {
                        "node": "start",
                        "locale": "nl",
                        "started_at": at.isoformat(),
                        "updated_at": at.isoformat(),
                    }
                ),
                node="start",
                locale="nl",
                ended=False,
                created_at=at,
                updated_at=at,
            )
        )
        if channel == "widget":
            await connection.execute(
                widget_sessions.insert().values(id=resident, token_hash="0" * 64, created_at=at)
            )


async def has_conversation(db: AsyncEngine, channel: str, resident: str) -> bool:
    async with db.connect() as connection:
        found = await connection.scalar(
            select(func.count()).where(
                conversations.c.channel == channel, conversations.c.external_id == resident
            )
        )
    return bool(found)


async def count(db: AsyncEngine, table: Any, *where: Any) -> int:
    async with db.connect() as connection:
        return int(
            await connection.scalar(select(func.count()).select_from(table).where(*where)) or 0
        )


async def book(db: AsyncEngine, resident: str, **changes: object) -> Any:
    """A booking on the first free office slot (written at ``NOW``): its row."""
    store = await seeded(db)
    async with db.connect() as connection:
        offers = await agenda.free_slots(
            connection, store.config, mode="office", now=NOW, urgent=False
        )
    async with store.turn(ConversationKey("telegram", resident)) as tx:
        result = await tx.bookings.book(request(offers[0].id, **changes), now=NOW)
    assert isinstance(result, Booked)
    async with db.connect() as connection:
        return (
            await connection.execute(
                select(bookings).where(bookings.c.reference == result.info.reference)
            )
        ).one()


class TestConversations:
    async def test_without_a_booking_kept_29_days_gone_after_31(self, db: AsyncEngine) -> None:
        await talk(db, "telegram", "1001")
        await talk(db, "widget", "a" * 32)
        await purge(db, LIMITS, now=NOW + 29 * DAY)
        assert await has_conversation(db, "telegram", "1001")
        assert await has_conversation(db, "widget", "a" * 32)

        report = await purge(db, LIMITS, now=NOW + 31 * DAY)
        assert not await has_conversation(db, "telegram", "1001")
        assert not await has_conversation(db, "widget", "a" * 32)
        assert await count(db, widget_sessions, widget_sessions.c.id == "a" * 32) == 0
        assert report.conversations == 2
        assert report.widget_sessions == 1

    async def test_a_recent_turn_keeps_it(self, db: AsyncEngine) -> None:
        await talk(db, "telegram", "1002", at=NOW + 10 * DAY)
        await purge(db, LIMITS, now=NOW + 31 * DAY)
        assert await has_conversation(db, "telegram", "1002")

    async def test_with_an_active_booking_it_stays(self, db: AsyncEngine) -> None:
        await book(db, "1003")
        await talk(db, "telegram", "1003")
        await purge(db, LIMITS, now=NOW + 31 * DAY)
        assert await has_conversation(db, "telegram", "1003")

    async def test_an_unused_widget_session_goes_too(self, db: AsyncEngine) -> None:
        async with writer(db).begin() as connection:
            await connection.execute(
                widget_sessions.insert().values(id="b" * 32, token_hash="0" * 64, created_at=NOW)
            )
        await purge(db, LIMITS, now=NOW + 29 * DAY)
        assert await count(db, widget_sessions, widget_sessions.c.id == "b" * 32) == 1
        await purge(db, LIMITS, now=NOW + 31 * DAY)
        assert await count(db, widget_sessions, widget_sessions.c.id == "b" * 32) == 0

    async def test_callback_requests_after_30_days(self, db: AsyncEngine) -> None:
        async with writer(db).begin() as connection:
            await connection.execute(
                callback_requests.insert().values(
                    channel="telegram",
                    external_id="1004",
                    phone="+31612345678",
                    part_of_day="morning",
                    urgent=True,
                    reasons="[]",
                    locale="nl",
                    status="open",
                    created_at=NOW,
                )
            )
        await purge(db, LIMITS, now=NOW + 29 * DAY)
        assert await count(db, callback_requests) == 1
        assert (await purge(db, LIMITS, now=NOW + 31 * DAY)).callbacks == 1
        assert await count(db, callback_requests) == 0


class TestBookings:
    async def test_anonymised_91_days_after_the_intake_counts_stay(self, db: AsyncEngine) -> None:
        row = await book(db, "2001")
        intake = row.starts_at if row.starts_at.tzinfo else row.starts_at.replace(tzinfo=UTC)
        await purge(db, LIMITS, now=intake + 89 * DAY)
        async with db.connect() as connection:
            kept = (await connection.execute(select(bookings).where(bookings.c.id == row.id))).one()
        assert kept.external_id == "2001"
        assert kept.name != ERASED

        report = await purge(db, LIMITS, now=intake + 91 * DAY)
        assert report.bookings == 1
        async with db.connect() as connection:
            gone = (await connection.execute(select(bookings).where(bookings.c.id == row.id))).one()
        assert (gone.name, gone.phone, gone.email) == (ERASED, ERASED, None)
        assert gone.external_id.startswith(ERASED) and "2001" not in gone.external_id
        # the anonymous counts stay
        assert gone.reference == row.reference
        assert gone.status == row.status == "active"
        assert (gone.outcome, gone.urgent, gone.locale) == ("eligible", True, "nl")
        assert (gone.situation, gone.energy, gone.supplier) == ("cut_off", "gas", "vattenfall")
        assert (gone.channel, gone.starts_at, gone.created_at) == (
            row.channel,
            row.starts_at,
            row.created_at,
        )
        assert json.loads(gone.reasons) == ["lives_in_almere", "cut_off"]
        # and the next run has nothing more to do
        assert (await purge(db, LIMITS, now=intake + 92 * DAY)).bookings == 0

    async def test_two_active_bookings_of_one_channel_both_anonymised(
        self, db: AsyncEngine
    ) -> None:
        """Each keeps a distinct resident id: one active booking per resident still holds."""
        first = await book(db, "2002")
        await book(db, "2003")
        report = await purge(db, LIMITS, now=first.starts_at.replace(tzinfo=UTC) + 200 * DAY)
        assert report.bookings == 2


class TestOutbox:
    async def _sent(self, db: AsyncEngine, resident: str) -> list[int]:
        row = await book(db, resident)
        async with writer(db).begin() as connection:
            ids = list(
                (
                    await connection.scalars(
                        select(outbox.c.id).where(outbox.c.payload.contains(row.reference))
                    )
                ).all()
            )
            await connection.execute(
                update(outbox).where(outbox.c.id.in_(ids)).values(status="sent", sent_at=NOW)
            )
        assert ids
        return ids

    async def test_payload_cleared_after_7_days_row_gone_after_30(self, db: AsyncEngine) -> None:
        ids = await self._sent(db, "3001")
        await purge(db, LIMITS, now=NOW + 6 * DAY)
        async with db.connect() as connection:
            payloads = (
                await connection.scalars(select(outbox.c.payload).where(outbox.c.id.in_(ids)))
            ).all()
        assert all("fatima" in payload.lower() for payload in payloads)

        report = await purge(db, LIMITS, now=NOW + 8 * DAY)
        assert report.outbox_payloads == len(ids)
        async with db.connect() as connection:
            payloads = (
                await connection.scalars(select(outbox.c.payload).where(outbox.c.id.in_(ids)))
            ).all()
        assert payloads == [CLEARED] * len(ids)

        await purge(db, LIMITS, now=NOW + 29 * DAY)
        assert await count(db, outbox, outbox.c.id.in_(ids)) == len(ids)
        report = await purge(db, LIMITS, now=NOW + 31 * DAY)
        assert report.outbox_rows == len(ids)
        assert await count(db, outbox, outbox.c.id.in_(ids)) == 0

    async def test_dead_rows_go_after_30_days_pending_ones_stay(self, db: AsyncEngine) -> None:
        row = await book(db, "3002")
        async with writer(db).begin() as connection:
            ids = list(
                (
                    await connection.scalars(
                        select(outbox.c.id)
                        .where(outbox.c.payload.contains(row.reference))
                        .order_by(outbox.c.id)
                    )
                ).all()
            )
            await connection.execute(
                update(outbox).where(outbox.c.id == ids[0]).values(status="dead")
            )
        await purge(db, LIMITS, now=NOW + 31 * DAY)
        assert await count(db, outbox, outbox.c.id == ids[0]) == 0
        assert await count(db, outbox, outbox.c.id.in_(ids[1:])) == len(ids) - 1
        async with db.connect() as connection:
            pending = (
                await connection.scalars(select(outbox.c.payload).where(outbox.c.id.in_(ids[1:])))
            ).all()
        assert all(payload != CLEARED for payload in pending)


class TestLogs:
    async def test_audit_entries_after_365_days(self, db: AsyncEngine) -> None:
        async with writer(db).begin() as connection:
            await connection.execute(
                audit_log.insert().values(action="view_booking", subject="booking:WA-AAAA", at=NOW)
            )
        await purge(db, LIMITS, now=NOW + 364 * DAY)
        assert await count(db, audit_log) == 1
        assert (await purge(db, LIMITS, now=NOW + 366 * DAY)).audit == 1
        assert await count(db, audit_log) == 0

    async def test_updates_and_handled_events_after_7_days(self, db: AsyncEngine) -> None:
        update_id = uuid.uuid4().int % 10**12
        token = uuid.uuid4().hex
        async with writer(db).begin() as connection:
            await connection.execute(
                telegram_updates.insert().values(
                    update_id=update_id, status="done", attempts=1, updated_at=NOW
                )
            )
            await connection.execute(handled_events.insert().values(token=token, at=NOW))
        await purge(db, LIMITS, now=NOW + 6 * DAY)
        assert await count(db, telegram_updates, telegram_updates.c.update_id == update_id) == 1
        assert await count(db, handled_events, handled_events.c.token == token) == 1
        await purge(db, LIMITS, now=NOW + 8 * DAY)
        assert await count(db, telegram_updates, telegram_updates.c.update_id == update_id) == 0
        assert await count(db, handled_events, handled_events.c.token == token) == 0

    async def test_expired_staff_sessions(self, db: AsyncEngine) -> None:
        member = await add_staff(db, "Anna", now=NOW)
        async with writer(db).begin() as connection:
            anna = await connection.scalar(select(staff.c.id).where(staff.c.name == "Anna"))
            await connection.execute(
                staff_sessions.insert().values(
                    id_hash="f" * 64, staff_id=anna, created_at=NOW, expires_at=NOW + DAY
                )
            )
        assert member.token
        await purge(db, LIMITS, now=NOW + DAY / 2)
        assert await count(db, staff_sessions, staff_sessions.c.id_hash == "f" * 64) == 1
        assert (await purge(db, LIMITS, now=NOW + 2 * DAY)).staff_sessions == 1
        assert await count(db, staff_sessions, staff_sessions.c.id_hash == "f" * 64) == 0


async def test_an_empty_database_reports_nothing(db: AsyncEngine) -> None:
    assert await purge(db, LIMITS, now=NOW) == PurgeReport()


async def test_the_app_runs_the_purge_as_a_background_job(sqlite_url: str) -> None:
    """``weeraan serve`` purges at start-up (then hourly): a conversation idle for 40 days is
    gone soon after the app starts; yesterday's stays."""
    db = create_engine(sqlite_url)
    try:
        await upgrade(db)
        now = datetime.now(UTC)
        await talk(db, "telegram", "9001", at=now - 40 * DAY)
        await talk(db, "telegram", "9002", at=now - DAY)
        settings = Settings(database_url=sqlite_url, widget=GENEROUS)
        async with running(settings):
            for _ in range(100):
                if not await has_conversation(db, "telegram", "9001"):
                    break
                await asyncio.sleep(0.05)
            assert not await has_conversation(db, "telegram", "9001")
            assert await has_conversation(db, "telegram", "9002")
    finally:
        await db.dispose()

"""Two real ``weeraan serve`` processes on one PostgreSQL, residents booking at once.

Shows: no overbooking (capacity 2, twenty residents on the same slot over both servers),
each ``booking.created`` delivered once to the staff webhook (the outbox workers of both
processes compete), and reminders written once when two processes run the reminder job at
the same moment. ``tests/workers/test_joblock.py`` shows the jobs never overlap.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from tests.conftest import TEST_KEY, TEST_VAULT, _admin
from tests.outbox.helpers import free_port, serving
from tests.outbox.test_webhook_target import SECRET, Receiver
from tests.servers import ready, serve, stop, upgrade
from tests.webhook.test_widget_booking import Resident
from webhook.booking.config import BookingConfig
from webhook.booking.reminders import send_due_reminders
from webhook.db import create_engine
from webhook.settings import ScheduleSettings
from webhook.tables import bookings, outbox, slots

ROOT = Path(__file__).resolve().parents[2]
RESIDENTS = 20
CAPACITY = 2
SCHEDULE = {
    "DAYS": "mon,tue,wed,thu,fri,sat,sun",
    "HOURS": "08:00-20:00",
    "CAPACITY": str(CAPACITY),
    "INTAKE_MINUTES": "60",
    "OFFICE_ADDRESS": "Voorbeeldplein 2",
}
TAKEN = "iemand anders koos die tijd net"
BOOKED = "Uw afspraak staat vast"


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A database of its own (the servers keep connections open while they run)."""
    base = os.environ.get("WEERAAN_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but WEERAAN_TEST_POSTGRES_URL is not set")
        pytest.skip("WEERAAN_TEST_POSTGRES_URL is not set: the many-workers test needs PostgreSQL")
    name = f"weeraan_workers_{uuid.uuid4().hex[:12]}"
    _admin(base, f'CREATE DATABASE "{name}"')
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(database_url: str, webhook_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEERAAN_")}
    env.update(
        {
            "WEERAAN_DATABASE_URL": database_url,
            "WEERAAN_KEYS": TEST_KEY,
            "WEERAAN_WIDGET__RATE_PER_MINUTE": "10000",
            "WEERAAN_WIDGET__RATE_PER_IP_MINUTE": "10000",
            "WEERAAN_NOTIFY__WEBHOOK_URL": webhook_url,
            "WEERAAN_NOTIFY__WEBHOOK_SECRET": SECRET,
            "WEERAAN_LOG_LEVEL": "WARNING",
            **{f"WEERAAN_SCHEDULE__{key}": value for key, value in SCHEDULE.items()},
        }
    )
    return env


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    got = Receiver()
    async with serving(got.app()) as base:
        yield got, f"{base}/hooks/weeraan"


@pytest.fixture
async def servers(
    database: str, receiver: tuple[Receiver, str], tmp_path: Path
) -> AsyncIterator[list[str]]:
    env = _env(database, receiver[1])
    upgrade(env)
    processes: list[subprocess.Popen[bytes]] = []
    bases: list[str] = []
    logs: list[Path] = []
    try:
        for number in range(2):
            port = free_port()
            logs.append(tmp_path / f"serve-{number}.log")
            processes.append(serve(env, port, logs[-1]))
            bases.append(f"http://127.0.0.1:{port}")
        await asyncio.gather(
            *(ready(b, p, g) for b, p, g in zip(bases, processes, logs, strict=True))
        )
        yield bases
    finally:
        for process in processes:
            stop(process)


async def _slots_ready(url: str) -> None:
    db = create_engine(url)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            async with db.connect() as connection:
                if await connection.scalar(select(func.count()).select_from(slots)):
                    return
            await asyncio.sleep(0.2)
        raise AssertionError("the slots job made no slots in 20 s")
    finally:
        await db.dispose()


class Booker(Resident):
    """A resident who gives an e-mail address (so a reminder has somewhere to go)."""

    async def fill_in(self, slot: str, number: int) -> None:
        await self.send({"option": slot})
        await self.send({"text": f"Bewoner {number}"})
        await self.send({"text": "06 12345678"})
        await self.send({"text": f"bewoner{number}@example.org"})
        assert "Klopt dit?" in self.said()


async def test_two_servers_no_overbooking_each_notification_once_reminders_once(
    database: str, servers: list[str], receiver: tuple[Receiver, str]
) -> None:
    got, _ = receiver
    await _slots_ready(database)
    clients = [httpx.AsyncClient(base_url=base, timeout=20) for base in servers]
    try:
        residents = [Booker(clients[n % 2]) for n in range(RESIDENTS)]
        offered = await asyncio.wait_for(asyncio.gather(*(r.to_times() for r in residents)), 40)
        slot = offered[0][0]
        assert all(slot in times for times in offered), "everyone is offered the same slot"
        await asyncio.wait_for(
            asyncio.gather(*(r.fill_in(slot, n) for n, r in enumerate(residents))), 30
        )
        await asyncio.wait_for(
            asyncio.gather(*(r.send({"option": "summary:confirm"}) for r in residents)), 30
        )
    finally:
        for client in clients:
            await client.aclose()

    said = [r.said() for r in residents]
    assert sum(BOOKED in text for text in said) == CAPACITY
    assert sum(TAKEN in text for text in said) == RESIDENTS - CAPACITY, said

    db = create_engine(database)
    try:
        async with db.connect() as connection:
            made = (
                await connection.execute(select(bookings).where(bookings.c.status == "active"))
            ).all()
            [(slot_id, booked, capacity)] = (
                await connection.execute(
                    select(slots.c.id, slots.c.booked, slots.c.capacity).where(
                        slots.c.id == made[0].slot_id
                    )
                )
            ).all()
        assert len(made) == CAPACITY, "exactly the capacity was booked"
        assert {row.slot_id for row in made} == {slot_id}
        assert booked == capacity == CAPACITY

        references = {row.reference for row in made}
        for _ in range(100):  # 20 s at most
            if len(_created(got.verified)) >= CAPACITY:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(2.5)  # both workers polled again (idle 1 s): a duplicate shows up
        created = _created(got.verified)
        ids = Counter(webhook_id for webhook_id, _ in created)
        assert len(ids) == CAPACITY, created
        assert all(count == 1 for count in ids.values()), f"delivered twice: {ids}"
        assert {data["data"]["reference"] for _, data in created} == references
        assert got.rejected == 0

        await _remind_from_two_processes(database, made)
    finally:
        await db.dispose()


def _created(verified: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [(wid, data) for wid, data in verified if data["type"] == "booking.created"]


async def _remind_from_two_processes(url: str, made: Sequence[Any]) -> None:
    config = BookingConfig(
        schedule=ScheduleSettings(
            days=SCHEDULE["DAYS"],
            hours=SCHEDULE["HOURS"],
            capacity=CAPACITY,
            intake_minutes=60,
        ),
        resident_email=True,
        vault=TEST_VAULT,
    )
    starts = made[0].starts_at.astimezone(config.zone)
    day_before = datetime.combine(
        starts.date() - timedelta(days=1),
        datetime.min.time().replace(hour=config.schedule.reminder_hour + 1),
        config.zone,
    )
    engines = [create_engine(url) for _ in range(2)]  # the two processes
    try:
        counts = await asyncio.wait_for(
            asyncio.gather(*(send_due_reminders(e, config, now=day_before) for e in engines)), 20
        )
        again = await send_due_reminders(engines[0], config, now=day_before + timedelta(hours=1))
        async with engines[0].connect() as connection:
            rows = (
                await connection.execute(
                    select(outbox.c.target, outbox.c.payload).where(
                        outbox.c.event == "booking.reminder"
                    )
                )
            ).all()
            marked = await connection.scalar(
                select(func.count())
                .select_from(bookings)
                .where(bookings.c.reminder_sent_at.is_not(None))
            )
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(counts) == CAPACITY, counts
    assert again == 0
    assert marked == CAPACITY
    assert [row.target for row in rows] == ["resident_email"] * CAPACITY, "one row per booking"

"""kill -9 while residents book: each booking is there with its outbox rows, or not at all.

A loop in a process of its own (``tests.faults.booking_loop``) books resident after resident,
each in its own turn; the test kills it with SIGKILL at random moments, and once while a turn
is open inside its transaction, restarting it each time. After every kill the database opens
cleanly and holds together: every booking has its ``booking.created`` row for each staff
target and every such row its booking, every slot counts exactly its active bookings and never
more than its capacity, every sealed value opens, and every booking the loop reported as
committed is there.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TEST_KEY, TEST_VAULT
from tests.faults.shared import NOW, TARGETS, config_for
from webhook.booking import slots as agenda
from webhook.db import create_engine, writer
from webhook.tables import bookings, outbox, slots

ROOT = Path(__file__).resolve().parents[2]
KILLS = 6

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> tuple[str, AsyncEngine]:
    """The URL of a migrated, empty database of each kind, and an engine on it."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    engine: AsyncEngine = request.getfixturevalue(f"{request.param}_db")
    return url, engine


async def seed(db: AsyncEngine) -> None:
    async with writer(db).begin() as connection:
        await agenda.materialise(
            connection,
            config_for(TEST_VAULT),
            first=NOW.date(),
            last=NOW.date() + timedelta(days=35),
            now=NOW,
        )


async def _until(lines: list[str], prefix: str, process: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(20):
        while not any(line.startswith(prefix) for line in lines):
            assert process.returncode is None, f"the loop ended early: {lines}"
            await asyncio.sleep(0.01)


async def run_and_kill(
    url: str, run: str, *, delay: float = 0.0, pause_after: int | None = None
) -> list[str]:
    """Start the loop, let it book for ``delay`` s (or until it pauses), SIGKILL it."""
    env = dict(os.environ)
    if pause_after is not None:
        env["WEERAAN_FAULT_PAUSE_AFTER"] = str(pause_after)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.faults.booking_loop",
        url,
        run,
        TEST_KEY,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    lines: list[str] = []

    async def read() -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            lines.append(raw.decode().strip())

    reader = asyncio.create_task(read())
    try:
        await _until(lines, "ready", process)
        if pause_after is None:
            await asyncio.sleep(delay)
        else:
            await _until(lines, "paused", process)
    finally:
        if process.returncode is None:
            os.kill(process.pid, signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 10)
        await asyncio.wait_for(reader, 10)
    assert process.stderr is not None
    stderr = (await process.stderr.read()).decode(errors="replace")
    assert process.returncode == -signal.SIGKILL, stderr
    return lines


async def check(url: str, committed: set[str], absent: set[str]) -> int:
    """The invariants, on a fresh engine (as a restarted server would open it); #bookings."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                result = await connection.exec_driver_sql("PRAGMA integrity_check")
                assert [row[0] for row in result] == ["ok"]
            booked = (await connection.execute(select(bookings))).all()
            notes = (
                await connection.execute(select(outbox).where(outbox.c.event == "booking.created"))
            ).all()
            agenda_rows = (await connection.execute(select(slots))).all()
    finally:
        await engine.dispose()

    references = set()
    for row in booked:
        assert row.status == "active"
        assert TEST_VAULT.open(row.name) == "Fatima de Vries"
        assert TEST_VAULT.open(row.phone) == "+31612345678"
        references.add(row.reference)
    targets: defaultdict[str, list[str]] = defaultdict(list)
    for note in notes:
        payload = json.loads(TEST_VAULT.open_text(note.payload))
        assert payload["name"] == "Fatima de Vries"
        assert note.status == "pending"
        targets[payload["reference"]].append(note.target)
    assert set(targets) == references, "a booking without its outbox rows, or the reverse"
    for reference, written in targets.items():
        assert sorted(written) == sorted(TARGETS), reference

    active = Counter(row.slot_id for row in booked if row.status == "active")
    for slot in agenda_rows:
        assert slot.booked == active.get(slot.id, 0), f"slot {slot.id}"
        assert 0 <= slot.booked <= slot.capacity, f"slot {slot.id}"

    residents = {row.external_id for row in booked}
    assert committed <= residents, "a booking reported as committed is lost"
    assert not absent & residents, "a turn killed before its commit left a booking"
    return len(booked)


async def test_kill_9_while_booking_leaves_each_booking_whole_or_absent(
    database: tuple[str, AsyncEngine],
) -> None:
    url, db = database
    await seed(db)
    seed_value = random.randrange(1 << 30)
    rng = random.Random(seed_value)
    committed: set[str] = set()
    async with asyncio.timeout(40):
        for run in range(KILLS):
            lines = await run_and_kill(url, str(run), delay=rng.uniform(0.1, 0.5))
            committed |= {line.split()[1] for line in lines if line.startswith("booked")}
            await check(url, committed, set())

        # Killed inside a turn: the slot taken, booking and outbox rows written, no commit.
        lines = await run_and_kill(url, "paused", pause_after=3)
        (paused,) = [line.split()[1] for line in lines if line.startswith("paused")]
        committed |= {line.split()[1] for line in lines if line.startswith("booked")}
        total = await check(url, committed, {paused})

        # The server comes back and books on, the killed resident included.
        lines = await run_and_kill(url, "after", pause_after=5)
        committed |= {line.split()[1] for line in lines if line.startswith("booked")}
        assert "booked rafter-0" in lines
        assert await check(url, committed, set()) > total

    assert len(committed) >= 8, f"too few bookings to say much (seed {seed_value})"

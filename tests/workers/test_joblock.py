"""Background jobs never run twice at the same time across processes (advisory locks)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from webhook.db import create_engine
from webhook.joblock import JOB_IDS, run_exclusive


async def test_two_rounds_of_one_job_at_once_on_postgres_one_runs(
    postgres_url: str, postgres_db: AsyncEngine
) -> None:
    engines = [create_engine(postgres_url) for _ in range(2)]  # two "processes"
    inside = asyncio.Event()
    release = asyncio.Event()
    ran: list[int] = []

    def slow(number: int) -> Callable[[], Awaitable[int]]:
        async def round_() -> int:
            ran.append(number)
            if number == 0:
                inside.set()
                await asyncio.wait_for(release.wait(), 10)
            return number

        return round_

    try:
        first = asyncio.create_task(run_exclusive(engines[0], "reminders", slow(0)))
        await asyncio.wait_for(inside.wait(), 10)
        second = await asyncio.wait_for(run_exclusive(engines[1], "reminders", slow(1)), 10)
        other = await asyncio.wait_for(run_exclusive(engines[1], "retention", slow(2)), 10)
        release.set()
        assert await first == (True, 0)
        assert second == (False, None), "the second process skips the round"
        assert other == (True, 2), "another job has its own lock"
        assert ran == [0, 2]
        again = await asyncio.wait_for(run_exclusive(engines[1], "reminders", slow(3)), 10)
        assert again == (True, 3), "the lock is released after the round"
    finally:
        release.set()
        for engine in engines:
            await engine.dispose()


async def test_many_rounds_racing_never_overlap(
    postgres_url: str, postgres_db: AsyncEngine
) -> None:
    engines = [create_engine(postgres_url) for _ in range(4)]
    running = 0
    most = 0
    runs = 0

    async def round_() -> None:
        nonlocal running, most, runs
        running += 1
        runs += 1
        most = max(most, running)
        await asyncio.sleep(0.02)
        running -= 1

    async def loop(engine: AsyncEngine) -> None:
        mine = 0
        while mine < 3:  # each "process" keeps trying until three of its rounds ran
            ran, _ = await run_exclusive(engine, "slots", round_)
            mine += ran
            await asyncio.sleep(0.005)

    try:
        await asyncio.wait_for(asyncio.gather(*(loop(e) for e in engines)), 30)
    finally:
        for engine in engines:
            await engine.dispose()
    assert most == 1
    assert runs == 12


async def test_a_failing_round_releases_the_lock(
    postgres_url: str, postgres_db: AsyncEngine
) -> None:
    async def boom() -> None:
        raise RuntimeError("round failed")

    async def fine() -> str:
        return "ok"

    with pytest.raises(RuntimeError):
        await run_exclusive(postgres_db, "retention", boom)
    assert await run_exclusive(postgres_db, "retention", fine) == (True, "ok")


async def test_sqlite_always_runs(sqlite_db: AsyncEngine) -> None:
    async def fine() -> str:
        return "ok"

    assert await run_exclusive(sqlite_db, "slots", fine) == (True, "ok")


def test_job_ids_are_distinct() -> None:
    assert len(set(JOB_IDS.values())) == len(JOB_IDS)

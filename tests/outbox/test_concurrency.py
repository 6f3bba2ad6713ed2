"""Several workers at once never deliver one row twice (PostgreSQL: SKIP LOCKED)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.outbox.helpers import FakeTarget, ManualClock, booking_payload, rows
from webhook.crypto import Vault
from webhook.db import create_engine, writer
from webhook.outbox.delivery import OutboxMessage
from webhook.outbox.store import enqueue
from webhook.outbox.worker import OutboxWorker

MESSAGES = 150
WORKERS = 4


async def race(url: str, db: AsyncEngine) -> None:
    clock = ManualClock()
    async with writer(db).begin() as connection:
        for number in range(MESSAGES):
            await enqueue(
                connection,
                event="booking.created",
                payload=booking_payload(reference=f"WA-{number:04d}"),
                targets=["staff_webhook"],
                now=clock.now,
                vault=Vault.unkeyed(),
            )
    delivered: list[tuple[int, str]] = []

    def recorder(worker_no: int) -> FakeTarget:
        async def record(message: OutboxMessage) -> None:
            delivered.append((worker_no, message.message_id))
            await asyncio.sleep(0.002)

        return FakeTarget(default=record)

    engines = [create_engine(url) for _ in range(WORKERS)]
    workers = [
        OutboxWorker(engine, {"staff_webhook": recorder(n)}, clock=clock, batch=5)
        for n, engine in enumerate(engines)
    ]

    async def drain(worker: OutboxWorker) -> None:
        while await worker.run_once():
            pass

    try:
        await asyncio.wait_for(asyncio.gather(*(drain(w) for w in workers)), 45)
    finally:
        for engine in engines:
            await engine.dispose()

    counts = Counter(message_id for _, message_id in delivered)
    assert len(counts) == MESSAGES
    assert max(counts.values()) == 1, "a row was delivered twice"
    assert len({worker_no for worker_no, _ in delivered}) > 1, "the workers did run side by side"
    assert {row["status"] for row in await rows(db)} == {"sent"}


async def test_sqlite_workers_deliver_each_row_once(
    sqlite_url: str, sqlite_db: AsyncEngine
) -> None:
    await race(sqlite_url, sqlite_db)


@pytest.mark.postgres
async def test_postgres_workers_deliver_each_row_once(
    postgres_url: str, postgres_db: AsyncEngine
) -> None:
    assert postgres_db.dialect.name == "postgresql"
    await race(postgres_url, postgres_db)

"""The outbox worker on SQLite: claim, deliver, record; back-off, dead letters, leases."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.outbox.helpers import NOW, FakeTarget, ManualClock, eventually, one_row, put, rows
from webhook.crypto import Vault
from webhook.outbox.claims import claim_due
from webhook.outbox.delivery import DeliveryError, OutboxMessage
from webhook.outbox.worker import OutboxWorker


def worker(db: AsyncEngine, target: FakeTarget, clock: ManualClock, **kw: object) -> OutboxWorker:
    return OutboxWorker(db, {"staff_webhook": target}, clock=clock, **kw)  # type: ignore[arg-type]


async def test_a_due_row_is_delivered_once_and_marked_sent(sqlite_db: AsyncEngine) -> None:
    clock = ManualClock()
    (message_id,) = await put(sqlite_db, targets=["staff_webhook"])
    target = FakeTarget(None)

    assert await worker(sqlite_db, target, clock).run_once() == 1
    assert await worker(sqlite_db, target, clock).run_once() == 0

    (message,) = target.received
    assert message.message_id == message_id
    assert (message.event, message.target, message.attempts) == (
        "booking.created",
        "staff_webhook",
        0,
    )
    assert message.payload["reference"] == "WA-7K3Q"
    assert message.created_at == NOW and message.created_at.tzinfo is not None
    row = await one_row(sqlite_db)
    assert (row["status"], row["sent_at"], row["locked_until"], row["attempts"]) == (
        "sent",
        NOW,
        None,
        0,
    )


async def test_a_failure_is_recorded_without_its_text_and_retried_later(
    sqlite_db: AsyncEngine,
) -> None:
    clock = ManualClock()
    await put(sqlite_db)
    target = FakeTarget(RuntimeError("refused fatima@example.org +31612345678"), None)
    w = worker(sqlite_db, target, clock)

    assert await w.run_once() == 1
    row = await one_row(sqlite_db)
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "RuntimeError")
    assert row["locked_until"] is None
    assert NOW + timedelta(seconds=2.5) <= row["next_attempt_at"] <= NOW + timedelta(seconds=5)

    assert await w.run_once() == 0, "not due yet"
    clock.advance(timedelta(seconds=5))
    assert await w.run_once() == 1
    assert (await one_row(sqlite_db))["status"] == "sent"
    assert [m.attempts for m in target.received] == [0, 1]


async def test_after_max_attempts_the_row_is_dead(sqlite_db: AsyncEngine) -> None:
    clock = ManualClock()
    await put(sqlite_db)
    target = FakeTarget(*[DeliveryError("webhook HTTP 500") for _ in range(3)])
    w = worker(sqlite_db, target, clock, max_attempts=3, max_delay=timedelta(minutes=1))

    for _ in range(3):
        assert await w.run_once() == 1
        clock.advance(timedelta(minutes=1))
    assert await w.run_once() == 0
    clock.advance(timedelta(days=30))
    assert await w.run_once() == 0

    row = await one_row(sqlite_db)
    assert (row["status"], row["attempts"], row["last_error"]) == ("dead", 3, "webhook HTTP 500")
    assert len(target.received) == 3


async def test_back_off_grows_and_has_jitter(sqlite_db: AsyncEngine) -> None:
    clock = ManualClock()
    await put(sqlite_db, payload={"reference": "A"})
    await put(sqlite_db, payload={"reference": "B"})
    target = FakeTarget(default=DeliveryError("webhook HTTP 503"))
    w = worker(sqlite_db, target, clock, max_attempts=20, rng=random.Random(7))

    waits: list[list[float]] = []
    for _ in range(8):
        assert await w.run_once() == 2
        waits.append(
            [(row["next_attempt_at"] - clock.now).total_seconds() for row in await rows(sqlite_db)]
        )
        clock.now = max(row["next_attempt_at"] for row in await rows(sqlite_db))

    for attempt, pair in enumerate(waits):
        ceiling = 5.0 * 2**attempt
        assert all(ceiling / 2 <= wait <= ceiling for wait in pair), (attempt, pair)
    firsts = [pair[0] for pair in waits]
    assert firsts == sorted(firsts) and firsts[-1] > 8 * firsts[0], "grows"
    assert all(a != b for a, b in waits), "two messages failing together come back apart"


async def test_retry_after_from_the_target_is_a_floor(sqlite_db: AsyncEngine) -> None:
    clock = ManualClock()
    await put(sqlite_db)
    target = FakeTarget(DeliveryError("webhook HTTP 429", retry_after=120), None)
    w = worker(sqlite_db, target, clock)

    assert await w.run_once() == 1
    assert (await one_row(sqlite_db))["next_attempt_at"] >= NOW + timedelta(seconds=120)
    clock.advance(timedelta(seconds=119))
    assert await w.run_once() == 0
    clock.advance(timedelta(seconds=1))
    assert await w.run_once() == 1


async def test_a_row_in_flight_is_not_taken_by_another_worker(sqlite_db: AsyncEngine) -> None:
    clock = ManualClock()
    await put(sqlite_db)
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(_: OutboxMessage) -> None:
        started.set()
        await release.wait()

    first = asyncio.create_task(worker(sqlite_db, FakeTarget(slow), clock).run_once())
    await asyncio.wait_for(started.wait(), 5)
    assert await worker(sqlite_db, FakeTarget(), clock).run_once() == 0
    release.set()
    assert await asyncio.wait_for(first, 5) == 1
    assert (await one_row(sqlite_db))["status"] == "sent"


async def test_the_lease_of_a_worker_that_died_runs_out(sqlite_db: AsyncEngine) -> None:
    clock = ManualClock()
    await put(sqlite_db)
    # A worker claims the row and then dies before delivering it.
    (claim,) = await claim_due(
        sqlite_db,
        now=NOW,
        lease=timedelta(seconds=60),
        batch=5,
        targets={"staff_webhook"},
        vault=Vault.unkeyed(),
    )
    target = FakeTarget(None)
    w = worker(sqlite_db, target, clock)

    clock.advance(timedelta(seconds=59))
    assert await w.run_once() == 0
    clock.advance(timedelta(seconds=2))
    assert await w.run_once() == 1
    assert [m.message_id for m in target.received] == [claim.message.message_id]


async def test_a_delivery_that_hangs_is_abandoned_before_the_lease_ends(
    sqlite_db: AsyncEngine,
) -> None:
    clock = ManualClock()
    await put(sqlite_db)

    async def hang(_: OutboxMessage) -> None:
        await asyncio.sleep(3600)

    w = worker(sqlite_db, FakeTarget(hang), clock, lease=timedelta(seconds=0.5))
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await w.run_once() == 1
    assert loop.time() - began < 0.5
    row = await one_row(sqlite_db)
    assert (row["status"], row["attempts"], row["last_error"], row["locked_until"]) == (
        "pending",
        1,
        "timeout",
        None,
    )


async def test_rows_for_other_targets_are_left_alone(sqlite_db: AsyncEngine) -> None:
    clock = ManualClock()
    await put(sqlite_db, targets=["staff_email", "staff_webhook"])
    target = FakeTarget(None)
    assert await worker(sqlite_db, target, clock).run_once() == 1
    by_target = {row["target"]: row for row in await rows(sqlite_db)}
    assert by_target["staff_webhook"]["status"] == "sent"
    assert by_target["staff_email"]["status"] == "pending"
    assert by_target["staff_email"]["locked_until"] is None


async def test_one_target_does_not_wait_for_another(sqlite_db: AsyncEngine) -> None:
    clock = ManualClock()
    await put(sqlite_db, targets=["staff_email", "staff_webhook"])
    email_done = asyncio.Event()

    async def after_email(_: OutboxMessage) -> None:
        await asyncio.wait_for(email_done.wait(), 5)

    async def email(_: OutboxMessage) -> None:
        email_done.set()

    deliverers = {"staff_webhook": FakeTarget(after_email), "staff_email": FakeTarget(email)}
    w = OutboxWorker(sqlite_db, deliverers, clock=clock)  # type: ignore[arg-type]
    assert await w.run_once() == 2
    assert {row["status"] for row in await rows(sqlite_db)} == {"sent"}


async def test_run_forever_delivers_on_wake_and_stops(sqlite_db: AsyncEngine) -> None:
    target = FakeTarget(default=None)
    w = OutboxWorker(sqlite_db, {"staff_webhook": target}, clock=lambda: datetime.now(UTC))
    stop = asyncio.Event()
    task = asyncio.create_task(w.run_forever(stop, idle=30.0))
    await asyncio.sleep(0.1)
    await put(sqlite_db, now=w.now())
    w.wake()

    async def sent() -> bool:
        return bool((await one_row(sqlite_db))["status"] == "sent")

    await eventually(sent, within=5)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert len(target.received) == 1

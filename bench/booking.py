"""(b) Booking confirmations: throughput, p99 at a fixed rate, and the contention check.

Residents wait at the summary (``bench.residents``); each request is one Telegram button
press on "Ja, afspraak maken": the slot is taken, the booking and its notifications are
written in the turn's transaction, and the answer is the confirmation. Contention: 200
residents confirm the same slot of capacity ``k`` at once; exactly ``k`` must get it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from bench.appenv import SECRET
from bench.client import Connection
from bench.context import Context
from bench.load import Run, closed_loop, open_loop
from bench.pg import postgres_url
from bench.residents import at_summary, backend, office_slots, seat, set_capacity
from bench.servers import Server, free_port, serving, weeraan_serve
from bench.stats import median
from bench.updates import Updates
from webhook.db import create_engine
from webhook.tables import bookings, slots

CONFIRM = "summary:confirm"
OPEN_RATE = 250.0
CONTENDERS = 200
CAPACITY_UNDER_CONTENTION = 5
CAPACITY = 200
CLOSED_RUNS = 3


class Queue:
    """Residents at the summary, each confirming once."""

    def __init__(self, updates: Updates, users: range) -> None:
        self.updates = updates
        self._users = iter(users)

    def next(self, _lane: int = 0, _n: int = 0) -> bytes | None:
        user = next(self._users, None)
        return None if user is None else self.updates.step(user, CONFIRM)


async def _measured(server: Server, work: Any) -> Run:
    cpu = server.cpu_seconds()
    run: Run = await work
    run.server_cpu = server.cpu_seconds() - cpu
    return run


async def contention(server: Server, updates: Updates, users: range) -> list[int]:
    connections = [await Connection.open(server.port) for _ in users]
    try:
        answers = await asyncio.gather(
            *(c.send(updates.step(u, CONFIRM)) for c, u in zip(connections, users, strict=True))
        )
    finally:
        for connection in connections:
            connection.close()
    return [status for status, _ in answers]


async def count(url: str, slot_id: int | None = None) -> tuple[int, int]:
    """Active bookings (of ``slot_id``, or all), and that slot's ``booked`` counter."""
    db = create_engine(url)
    try:
        async with db.connect() as connection:
            where = [bookings.c.status == "active"]
            if slot_id is not None:
                where.append(bookings.c.slot_id == slot_id)
            active = await connection.scalar(select(func.count()).where(*where))
            booked: int | None = None
            if slot_id is not None:
                booked = await connection.scalar(
                    select(slots.c.booked).where(slots.c.id == slot_id)
                )
    finally:
        await db.dispose()
    return int(active or 0), int(booked or 0)


async def on(ctx: Context, url: str, extra_env: dict[str, str]) -> dict[str, Any]:
    env = {**ctx.env(url, capacity=CAPACITY), **extra_env}
    per_run = ctx.size.bookings
    open_count = int(OPEN_RATE * ctx.size.seconds)
    async with backend(env) as opened:
        template = await at_summary(opened)
        free = await office_slots(opened)
        contested, free = free[-1], free[:-1]
        ranges = [range(n * 100_000, n * 100_000 + per_run) for n in range(1, CLOSED_RUNS + 1)]
        ranges.append(range(900_000, 900_000 + open_count))
        for group in ranges:
            await seat(opened, template, group, free)
        crowd = range(990_000, 990_000 + CONTENDERS)
        await seat(opened, template, crowd, [contested])
        await set_capacity(opened, contested[0], CAPACITY_UNDER_CONTENTION)
    port = free_port()
    updates = Updates(SECRET)
    log = ctx.log(f"booking-{url.split(':')[0]}")
    async with serving(weeraan_serve(port), port, env, log=log) as server:
        closed = []
        for group in ranges[:CLOSED_RUNS]:
            work = closed_loop(
                port, ctx.size.connections, ctx.size.seconds, Queue(updates, group).next
            )
            closed.append(await _measured(server, work))
        opened_run = await _measured(
            server, open_loop(port, OPEN_RATE, ctx.size.seconds, Queue(updates, ranges[-1]).next)
        )
        statuses = await contention(server, updates, crowd)
    got, booked = await count(url, contested[0])
    total, _ = await count(url)
    return {
        "confirmations_per_second": median([r.rate for r in closed]),
        "closed_runs": [r.summary() for r in closed],
        "open_rate": OPEN_RATE,
        "open": opened_run.summary(),
        "p99_ms_at_open_rate": opened_run.summary()["p99_ms"],
        "active_bookings": total,
        "confirmed": sum(len(r.latencies) for r in [*closed, opened_run]),
        "contention": {
            "attempts": CONTENDERS,
            "capacity": CAPACITY_UNDER_CONTENTION,
            "bookings": got,
            "slot_booked_counter": booked,
            "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
            "exact": got == booked == CAPACITY_UNDER_CONTENTION,
        },
    }


async def run(ctx: Context) -> dict[str, Any]:
    result: dict[str, Any] = {"sqlite": await on(ctx, ctx.sqlite_url("booking"), {})}
    async with postgres_url() as (url, keys, skipped):
        if skipped:
            result["postgresql"] = {"skipped": skipped}
        else:
            result["postgresql"] = await on(ctx, url, {"WEERAAN_KEYS": keys})
    return result

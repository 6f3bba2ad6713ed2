"""(d) Memory growth of ``weeraan serve`` after 100,000 distinct residents.

Each resident sends ``/start`` once on Telegram (a turn, its state saved in the database).
Growth is the server's resident set after them minus after a warm-up of a few thousand
(start-up, imports and first-use caches are not growth).
"""

from __future__ import annotations

from typing import Any

from bench.appenv import SECRET
from bench.context import Context
from bench.load import closed_loop
from bench.servers import free_port, serving, weeraan_serve
from bench.updates import START, Updates

WARMUP = 2_000


class Newcomers:
    """A new resident for every request, until ``count``."""

    def __init__(self, updates: Updates, first: int, count: int, lanes: int) -> None:
        self.updates, self.first, self.count, self.lanes = updates, first, count, lanes

    def next(self, lane: int, n: int) -> bytes | None:
        index = n * self.lanes + lane
        if index >= self.count:
            return None
        return self.updates.step(self.first + index, START)


async def run(ctx: Context) -> dict[str, Any]:
    port = free_port()
    env = ctx.env(ctx.sqlite_url("memory"))
    lanes, updates = ctx.size.connections, Updates(SECRET)
    residents = ctx.size.residents
    async with serving(weeraan_serve(port), port, env, log=ctx.log("memory")) as server:
        at_start = server.rss_mib()
        warm = Newcomers(updates, 1, WARMUP, lanes)
        await closed_loop(port, lanes, 3600, warm.next)
        after_warmup = server.rss_mib()
        crowd = Newcomers(updates, 1_000_000, residents, lanes)
        run = await closed_loop(port, lanes, 3600, crowd.next)
        after = server.rss_mib()
    return {
        "residents": residents,
        "rss_mib_at_ready": round(at_start, 1),
        "rss_mib_after_warmup": round(after_warmup, 1),
        "rss_mib_after": round(after, 1),
        "growth_mib": round(after - after_warmup, 1),
        "per_second": round(run.rate, 1),
        "errors": run.summary()["errors"],
    }

"""(f) From starting ``weeraan serve`` to its first answer (``/healthz``).

The first start creates and migrates a new SQLite database; the others are restarts on it.
"""

from __future__ import annotations

from typing import Any

from bench.context import Context
from bench.servers import free_port, serving, weeraan_serve
from bench.stats import median


async def run(ctx: Context) -> dict[str, Any]:
    times = []
    url = ctx.sqlite_url("ready")
    for _ in range(1 + ctx.size.starts):
        port = free_port()
        async with serving(weeraan_serve(port), port, ctx.env(url), log=ctx.log("ready")) as s:
            times.append(s.ready_after)
    return {
        "first_start_s": round(times[0], 2),
        "restart_s": round(median(times[1:]), 2),
        "restarts": [round(t, 2) for t in times[1:]],
    }

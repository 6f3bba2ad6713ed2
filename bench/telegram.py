"""(a) The full dialogue step through ``/telegram/webhook`` against B₀.

Both servers run at once on the server's core; runs alternate between them so that noise
on the machine hits both alike, and each figure is the median of the runs. Closed loop
gives the throughput ratio; open loop at a fraction of B₀'s rate gives the latencies.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from bench.appenv import SECRET, TOKEN
from bench.client import fetch
from bench.context import Context
from bench.load import Run, closed_loop, open_loop
from bench.servers import Server, free_port, python, serving, weeraan_serve
from bench.stats import median
from bench.updates import WALK, Updates, Walkers

OPEN_LANES = 500
FRACTIONS = {"half": 0.5, "quarter": 0.25}
_users = itertools.count(1)


def _first_user() -> int:
    return next(_users) * 10_000_000


async def check_walk(server: Server, updates: Updates) -> None:
    """One resident walks ``WALK``; every step must answer 200 with a message to send."""
    user = _first_user()
    for what in WALK:
        status, body = await fetch(server.port, updates.step(user, what))
        answer = json.loads(body)
        if status != 200 or answer.get("method") != "sendMessage":
            raise RuntimeError(f"step {what!r} answered {status}: {body[:200]!r}")


async def _closed(server: Server, updates: Updates, ctx: Context, seconds: float) -> Run:
    walkers = Walkers(updates, ctx.size.connections, _first_user())
    cpu = server.cpu_seconds()
    run = await closed_loop(server.port, ctx.size.connections, seconds, walkers.closed)
    run.server_cpu = server.cpu_seconds() - cpu
    return run


async def _open(server: Server, updates: Updates, rate: float, seconds: float) -> Run:
    walkers = Walkers(updates, OPEN_LANES, _first_user())
    cpu = server.cpu_seconds()
    run = await open_loop(server.port, rate, seconds, walkers.scheduled)
    run.server_cpu = server.cpu_seconds() - cpu
    return run


async def run(ctx: Context) -> dict[str, Any]:
    app_port, base_port = free_port(), free_port()
    app_env = ctx.env(ctx.sqlite_url("telegram"))
    base_env = {"WEERAAN_TELEGRAM__TOKEN": TOKEN, "WEERAAN_TELEGRAM__WEBHOOK_SECRET": SECRET}
    base_cmd = python("-m", "bench.baseline", str(base_port))
    async with (
        serving(weeraan_serve(app_port), app_port, app_env, log=ctx.log("telegram")) as app,
        serving(base_cmd, base_port, base_env, log=ctx.log("baseline")) as base,
    ):
        servers = {"b0": (base, Updates(SECRET)), "app": (app, Updates(SECRET))}
        await check_walk(app, servers["app"][1])
        for server, updates in servers.values():
            await _closed(server, updates, ctx, ctx.size.warmup)
        closed: dict[str, list[Run]] = {"b0": [], "app": []}
        for _ in range(ctx.size.runs):
            for name, (server, updates) in servers.items():
                closed[name].append(await _closed(server, updates, ctx, ctx.size.seconds))
        b0_rate = median([r.rate for r in closed["b0"]])
        opened: dict[str, dict[str, list[Run]]] = {}
        for label, fraction in FRACTIONS.items():
            opened[label] = {"b0": [], "app": []}
            for _ in range(ctx.size.runs):
                for name, (server, updates) in servers.items():
                    result = await _open(server, updates, b0_rate * fraction, ctx.size.seconds)
                    opened[label][name].append(result)
    return _summary(closed, opened, b0_rate, ctx)


def _summary(
    closed: dict[str, list[Run]],
    opened: dict[str, dict[str, list[Run]]],
    b0_rate: float,
    ctx: Context,
) -> dict[str, Any]:
    app_rate = median([r.rate for r in closed["app"]])
    result: dict[str, Any] = {
        "connections": ctx.size.connections,
        "runs": ctx.size.runs,
        "seconds_per_run": ctx.size.seconds,
        "walk": list(WALK),
        "b0_per_second": round(b0_rate, 1),
        "app_per_second": round(app_rate, 1),
        "ratio": round(app_rate / b0_rate, 3) if b0_rate else 0.0,
        "cpu_ms_per_request": {
            name: round(1000 * median([r.cpu_per_request for r in runs]), 3)
            for name, runs in closed.items()
        },
        "closed_runs": {k: [r.summary() for r in v] for k, v in closed.items()},
        "open": {},
    }
    for label, runs in opened.items():
        result["open"][label] = {
            "rate": round(b0_rate * FRACTIONS[label], 1),
            **{
                name: {
                    "p50_ms": median([r.summary()["p50_ms"] for r in rs]),  # type: ignore[misc]
                    "p99_ms": median([r.summary()["p99_ms"] for r in rs]),  # type: ignore[misc]
                    "runs": [r.summary() for r in rs],
                }
                for name, rs in runs.items()
            },
        }
    return result

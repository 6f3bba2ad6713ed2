"""(f) From starting ``weeraan serve`` to its first answer (``/healthz``).

The first start creates and migrates a new SQLite database; the others are restarts on it.
What the imports take of that is measured too: a fresh interpreter importing the app, and
one importing only aiogram, each less one that imports nothing.
"""

from __future__ import annotations

import subprocess
import time
from typing import Any

from bench.context import Context
from bench.servers import SERVER_CORE, free_port, pinned, python, serving, weeraan_serve
from bench.stats import median

IMPORTS = {"nothing": "pass", "app": "import webhook.app", "aiogram": "import aiogram"}


async def run(ctx: Context) -> dict[str, Any]:
    times = []
    url = ctx.sqlite_url("ready")
    for _ in range(1 + ctx.size.starts):
        port = free_port()
        async with serving(weeraan_serve(port), port, ctx.env(url), log=ctx.log("ready")) as s:
            times.append(s.ready_after)
    imports = {name: _import_time(code, 1 + ctx.size.starts) for name, code in IMPORTS.items()}
    return {
        "first_start_s": round(times[0], 2),
        "restart_s": round(median(times[1:]), 2),
        "restarts": [round(t, 2) for t in times[1:]],
        "import_app_s": round(imports["app"] - imports["nothing"], 2),
        "import_aiogram_s": round(imports["aiogram"] - imports["nothing"], 2),
    }


def _import_time(code: str, runs: int) -> float:
    """The median wall time of a fresh interpreter running ``code`` (on the server's core)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(pinned(python("-c", code), SERVER_CORE), check=True)  # noqa: S603
        times.append(time.perf_counter() - started)
    return median(times)

"""``python -m bench.profile [SECONDS]``: where the full dialogue step spends its time.

The app serves closed-loop Telegram walks (as in the benchmark) while ``py-spy`` samples it;
the collapsed stacks are summarised as the functions holding the most samples, inclusive
(the function or anything it called) and exclusive (the function itself).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.appenv import SECRET
from bench.context import Context, Size, fake_bot_api
from bench.load import closed_loop
from bench.servers import free_port, pin_self, serving, weeraan_serve
from bench.updates import Updates, Walkers

TOP = 30
IDLE = ("_worker (", "_connection_worker_thread (", "Runner.run (", "select (")
"""Leaf frames of threads waiting for work (py-spy cannot always tell they are idle)."""


def summarise(collapsed: str, top: int = TOP) -> str:
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        raw = stack.split(";")
        if raw[-1].startswith(IDLE):
            continue
        total += samples
        frames = [_short(frame) for frame in raw]
        for frame in set(frames):
            inclusive[frame] += samples
        exclusive[frames[-1]] += samples
    lines = [f"{total} busy samples", "", "inclusive:"]
    lines += [f"{100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    lines += ["", "exclusive:"]
    lines += [f"{100 * n / total:5.1f}%  {name}" for name, n in exclusive.most_common(top)]
    return "\n".join(lines)


def _short(frame: str) -> str:
    """``function (path/to/module.py:12)`` as ``package/module.py:function``."""
    name, _, where = frame.partition(" (")
    path = where.split(":")[0]
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    parts = path.split("/")
    return f"{'/'.join(parts[-2:])}:{name}"


async def profile(seconds: float) -> str:
    pin_self()
    scratch = Path(tempfile.mkdtemp(prefix="weeraan-profile-"))
    try:
        async with fake_bot_api(scratch) as api_base:
            ctx = Context(Size(), scratch, api_base)
            port = free_port()
            env = ctx.env(ctx.sqlite_url("profile"))
            async with serving(weeraan_serve(port), port, env, log=ctx.log("app")) as app:
                walkers = Walkers(Updates(SECRET), ctx.size.connections, 10_000_000)
                await closed_loop(port, ctx.size.connections, 2.0, walkers.closed)
                out = scratch / "stacks.txt"
                spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
                command = [spy, "record", "--pid", str(app.process.pid), "--duration"]
                command += [str(int(seconds)), "--rate", "200", "--format", "raw", "-o", str(out)]
                # the sampler runs beside the load; it is waited for once the load is done
                recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603, ASYNC220
                run = await closed_loop(port, ctx.size.connections, seconds + 1, walkers.closed)
                recorder.wait()
                print(f"{run.rate:.0f} steps/s while sampled", file=sys.stderr)
                if len(sys.argv) > 2:
                    shutil.copy(out, sys.argv[2])
                return summarise(out.read_text())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    print(asyncio.run(profile(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)))

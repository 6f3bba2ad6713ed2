"""Server processes for the benchmarks: started pinned to a core, ready when they answer.

``import aiogram`` alone takes seconds, so readiness is polled, never waited for blindly.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.client import fetch, request

SERVER_CORE = "0"
CLIENT_CORE = "1"
READY_WITHIN = 60.0


def can_pin() -> bool:
    return shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2


def pinned(command: Sequence[str], core: str) -> list[str]:
    """``command`` on one core (``taskset``) when this machine has two or more."""
    return ["taskset", "-c", core, *command] if can_pin() else list(command)


def pin_self() -> None:
    """Keep the load generator off the server's core."""
    if can_pin() and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(CLIENT_CORE)})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    ready_after: float
    """Seconds from start to the first answer of the readiness path."""

    def cpu_seconds(self) -> float:
        """CPU time the process used so far (user and system), in seconds."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> float:
        """Resident memory of the process (``VmRSS``), in MiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")


async def wait_ready(process: subprocess.Popen[bytes], port: int, path: str) -> None:
    deadline = time.perf_counter() + READY_WITHIN
    probe = request("GET", path)
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before it was ready")
        try:
            status, _ = await fetch(port, probe)
        except OSError:
            await asyncio.sleep(0.01)
            continue
        if status == 200:
            return
        await asyncio.sleep(0.01)
    raise TimeoutError(f"server not ready within {READY_WITHIN} s")


@asynccontextmanager
async def serving(
    command: Sequence[str],
    port: int,
    env: dict[str, str],
    *,
    ready_path: str = "/healthz",
    log: Path | None = None,
    pin: bool = True,
) -> AsyncIterator[Server]:
    """Run ``command`` (on the server's core) until the block ends (SIGTERM, then SIGKILL)."""
    out = log.open("ab") if log else subprocess.DEVNULL
    started = time.perf_counter()
    argv = pinned(command, SERVER_CORE) if pin else list(command)
    # S603: our own commands; ASYNC220: starting a process does not wait for it
    process = subprocess.Popen(  # noqa: S603, ASYNC220
        argv, env={**os.environ, **env}, stdout=out, stderr=out
    )
    try:
        await wait_ready(process, port, ready_path)
        yield Server(process, port, time.perf_counter() - started)
    finally:
        stop(process)
        if log:
            out.close()  # type: ignore[union-attr]


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def weeraan_serve(port: int) -> list[str]:
    """``weeraan serve``, as installed next to this interpreter."""
    script = Path(sys.executable).with_name("weeraan")
    return [str(script), "serve", "--host", "127.0.0.1", "--port", str(port)]

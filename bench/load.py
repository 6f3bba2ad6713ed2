"""Closed-loop and open-loop load on one server.

Closed loop: ``connections`` clients, each sending its next request when the answer came;
throughput is what the server sustains. Open loop: requests leave on a fixed schedule
whatever the answers do, and each latency counts from the *scheduled* time, so a server that
falls behind shows it (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.client import Connection
from bench.stats import ms, percentile

CONNECTION_FAILED = 599
"""Counted as the status of a request whose connection failed."""
Next = Callable[[int, int], bytes | None]
"""``next(lane, n)``: the ``n``-th request of ``lane`` (a connection or a schedule), or
``None`` when that lane has nothing more to send."""


@dataclass
class Run:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    server_cpu: float = 0.0
    """CPU seconds the server used during the run (robust against a busy machine)."""

    def record(self, status: int, latency: float) -> None:
        self.latencies.append(latency)
        if status >= 300:
            self.errors[status] = self.errors.get(status, 0) + 1

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_request(self) -> float:
        return self.server_cpu / len(self.latencies) if self.latencies else 0.0

    def summary(self) -> dict[str, object]:
        return {
            "requests": len(self.latencies),
            "per_second": round(self.rate, 1),
            "p50_ms": ms(percentile(self.latencies, 0.50)),
            "p99_ms": ms(percentile(self.latencies, 0.99)),
            "max_ms": ms(max(self.latencies, default=0.0)),
            "server_cpu_ms_per_request": round(1000 * self.cpu_per_request, 3),
            "errors": {str(k): v for k, v in sorted(self.errors.items())},
        }


async def closed_loop(port: int, connections: int, seconds: float, next_request: Next) -> Run:
    """Every connection sends as fast as its answers come, for ``seconds`` (or until done)."""
    lanes = [await Connection.open(port) for _ in range(connections)]
    deadline = time.perf_counter() + seconds
    run = Run(seconds)

    async def lane(index: int, connection: Connection) -> None:
        n = 0
        while time.perf_counter() < deadline:
            data = next_request(index, n)
            if data is None:
                return
            n += 1
            sent = time.perf_counter()
            status, _ = await connection.send(data)
            run.record(status, time.perf_counter() - sent)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(lane(i, c) for i, c in enumerate(lanes)))
    finally:
        for connection in lanes:
            connection.close()
    run.seconds = time.perf_counter() - started
    return run


async def open_loop(port: int, rate: float, seconds: float, next_request: Next) -> Run:
    """``rate`` requests a second for ``seconds``, on schedule; latency from the schedule."""
    idle: list[Connection] = []
    opened: list[Connection] = []
    run = Run(seconds)
    tasks: set[asyncio.Task[None]] = set()

    async def fresh() -> Connection:
        connection = await Connection.open(port)
        opened.append(connection)
        return connection

    async def one(data: bytes, scheduled: float) -> None:
        connection = idle.pop() if idle else await fresh()
        try:
            status, _ = await connection.send(data)
        except (asyncio.IncompleteReadError, ConnectionError):
            # the server closed a keep-alive connection left idle: a client opens a new one
            connection = await fresh()
            status, _ = await connection.send(data)
        run.record(status, time.perf_counter() - scheduled)
        idle.append(connection)

    async def counted(data: bytes, scheduled: float) -> None:
        try:
            await one(data, scheduled)
        except (OSError, asyncio.IncompleteReadError):
            run.record(CONNECTION_FAILED, time.perf_counter() - scheduled)

    total = int(rate * seconds)
    start = time.perf_counter() + 0.05
    try:
        for n in range(total):
            scheduled = start + n / rate
            wait = scheduled - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            data = next_request(0, n)
            if data is None:
                break
            task = asyncio.create_task(counted(data, scheduled))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
    finally:
        for connection in opened:
            connection.close()
    return run

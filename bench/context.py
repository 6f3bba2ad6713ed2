"""What every scenario gets: the size of the run, a scratch folder, the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.appenv import TOKEN, app_env
from bench.servers import CLIENT_CORE, free_port, pinned, python, serving


@dataclass(frozen=True)
class Size:
    """How long and how often: the full run, or ``quick`` (proves the harness, measures little)."""

    runs: int = 5
    seconds: float = 5.0
    warmup: float = 2.0
    connections: int = 32
    residents: int = 100_000
    bookings: int = 2_000
    widget_sessions: int = 1_000
    widget_seconds: float = 20.0
    starts: int = 3

    @classmethod
    def quick(cls) -> Size:
        return cls(
            runs=1,
            seconds=1.0,
            warmup=0.5,
            connections=8,
            residents=1_000,
            bookings=100,
            widget_sessions=50,
            widget_seconds=2.0,
            starts=1,
        )


@dataclass(frozen=True)
class Context:
    size: Size
    scratch: Path
    api_base: str

    def sqlite_url(self, name: str) -> str:
        return f"sqlite+aiosqlite:///{self.scratch / name}.db"

    def env(self, database_url: str, *, capacity: int = 1) -> dict[str, str]:
        return app_env(database_url, self.api_base, capacity=capacity)

    def log(self, name: str) -> Path:
        return self.scratch / f"{name}.log"


@asynccontextmanager
async def fake_bot_api(scratch: Path) -> AsyncIterator[str]:
    """The lean fake Bot API, on the load generator's core; yields its base URL."""
    port = free_port()
    command = pinned(python("-m", "bench.fake_api", str(port), TOKEN), CLIENT_CORE)
    async with serving(
        command, port, {}, ready_path="/stats", log=scratch / "fake_api.log", pin=False
    ):
        yield f"http://127.0.0.1:{port}"

"""One round of a background job at a time across all ``weeraan serve`` processes.

On PostgreSQL a round runs while holding a session-level advisory lock
(``pg_try_advisory_lock``) on its own connection; a process that finds the lock held skips
the round (the other process is doing the work). SQLite serves one process, so the round
simply runs. The lock goes with the connection, so a killed process never leaves it held.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from webhook.db import is_sqlite

log = logging.getLogger(__name__)
T = TypeVar("T")

JOB_IDS = {"reminders": 7_301, "slots": 7_302, "retention": 7_303}
"""Advisory lock keys, one per job (fixed: every process must use the same)."""


async def run_exclusive(
    engine: AsyncEngine, job: str, round_: Callable[[], Awaitable[T]]
) -> tuple[bool, T | None]:
    """Run ``round_`` unless another process runs the same job; ``(ran, result)``."""
    if is_sqlite(engine.url):
        return True, await round_()
    key = JOB_IDS[job]
    async with engine.connect() as connection:
        locked = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
        await connection.commit()
        if not locked:
            log.debug("%s: another process runs this round; skipped", job)
            return False, None
        try:
            return True, await round_()
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            await connection.commit()


def exclusive(
    engine: AsyncEngine, job: str, round_: Callable[[], Awaitable[object]]
) -> Callable[[], Awaitable[object]]:
    """``round_`` wrapped by ``run_exclusive``, for ``webhook.jobs``."""

    async def run() -> object:
        return await run_exclusive(engine, job, round_)

    return run

"""Database engines for SQLite (embedded default) and PostgreSQL (production).

SQLite runs in WAL mode; writing transactions start with ``BEGIN IMMEDIATE`` so that two
writers queue for the lock instead of failing later with "database is locked". Ask for a
writing transaction with ``writer(engine).begin()``.

Within one process, SQLite's writers also queue on an asyncio lock before they ask for the
database's: a writer that finds the file locked sleeps in SQLite's busy handler (1 ms, then
up to 100 ms at a time), so many concurrent turns would mostly sleep (measured: under 100
turns/s). The busy timeout still covers other processes.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

_IMMEDIATE = "weeraan_immediate"


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url``; SQLite gets WAL, a busy timeout and explicit BEGINs."""
    parsed = make_url(url)
    if not is_sqlite(parsed):
        return create_async_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=10)
    database = parsed.database or ""
    in_memory = database in {"", ":memory:"}
    if not in_memory:
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": 30}}
    if in_memory:
        kwargs["poolclass"] = StaticPool
    engine = create_async_engine(parsed, **kwargs)
    _configure_sqlite(engine, wal=not in_memory)
    return engine


def _configure_sqlite(engine: AsyncEngine, *, wal: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Writer:
    """Writing transactions on an engine: on SQLite, one at a time per process."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.execution_options(**{_IMMEDIATE: True})
        self._serial = is_sqlite(engine.url)
        self._pool = engine.sync_engine.pool

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        if not self._serial:
            async with self.engine.begin() as connection:
                yield connection
            return
        async with _write_lock(self._pool), self.engine.begin() as connection:
            yield connection


_LOCKS: weakref.WeakKeyDictionary[Any, dict[asyncio.AbstractEventLoop, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _write_lock(pool: Any) -> asyncio.Lock:
    """The lock of one database (its connection pool) in the running event loop."""
    locks = _LOCKS.setdefault(pool, {})
    loop = asyncio.get_running_loop()
    lock = locks.get(loop)
    if lock is None:
        locks.clear()  # an engine outlives a test's loop: forget locks of closed loops
        lock = locks[loop] = asyncio.Lock()
    return lock


def writer(engine: AsyncEngine) -> Writer:
    """Transactions on ``engine`` that take SQLite's write lock at once."""
    return Writer(engine)


async def ping(connection: AsyncConnection) -> None:
    await connection.exec_driver_sql("SELECT 1")

"""Database engines for SQLite (embedded default) and PostgreSQL (production).

SQLite runs in WAL mode; writing transactions start with ``BEGIN IMMEDIATE`` so that two
writers queue for the lock instead of failing later with "database is locked". Ask for a
writing connection with ``writer(engine)``.
"""

from __future__ import annotations

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


def writer(engine: AsyncEngine) -> AsyncEngine:
    """The same engine, whose transactions take SQLite's write lock at once."""
    return engine.execution_options(**{_IMMEDIATE: True})


async def ping(connection: AsyncConnection) -> None:
    await connection.exec_driver_sql("SELECT 1")

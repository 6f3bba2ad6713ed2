"""A PostgreSQL database of its own for the benchmark (``weeraan_bench``), migrated.

The server is ``WEERAAN_BENCH_POSTGRES`` (default: the local test server). Unreachable: the
PostgreSQL parts are skipped, with the reason.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import make_url

from webhook.crypto import new_key
from webhook.db import create_engine
from webhook.migrate import upgrade

DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DATABASE = "weeraan_bench"


@asynccontextmanager
async def postgres_url() -> AsyncIterator[tuple[str, str, str | None]]:
    """``(url, keys, None)`` for a fresh, migrated database; ``("", "", reason)`` if none."""
    import asyncpg

    admin = make_url(os.environ.get("WEERAAN_BENCH_POSTGRES", DEFAULT))
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        connection = await asyncpg.connect(dsn, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        yield "", "", f"PostgreSQL not reachable ({type(exc).__name__})"
        return
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{DATABASE}"')
        url = admin.set(database=DATABASE).render_as_string(hide_password=False)
        db = create_engine(url)
        try:
            await upgrade(db)
        finally:
            await db.dispose()
        yield url, new_key(), None
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await connection.close()

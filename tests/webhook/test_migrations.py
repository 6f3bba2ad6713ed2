"""The Alembic migrations build exactly the schema of ``webhook.tables``."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from webhook.db import create_engine
from webhook.migrate import current_revision, head_revision, is_current, upgrade
from webhook.tables import metadata


async def _differences(db: AsyncEngine) -> list[Any]:
    def compare(connection: Any) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))

    async with db.connect() as connection:
        return await connection.run_sync(compare)


async def test_sqlite_schema_matches_the_tables(sqlite_db: AsyncEngine) -> None:
    assert await is_current(sqlite_db)
    assert await _differences(sqlite_db) == []


async def test_postgres_schema_matches_the_tables(postgres_db: AsyncEngine) -> None:
    assert await current_revision(postgres_db) == head_revision()
    assert await _differences(postgres_db) == []


async def test_fresh_database_is_not_current_until_upgraded(sqlite_url: str) -> None:
    db = create_engine(sqlite_url)
    try:
        assert await current_revision(db) is None
        assert not await is_current(db)
        await upgrade(db)
        await upgrade(db)  # idempotent
        assert await is_current(db)
    finally:
        await db.dispose()

"""Schema migrations: applied at start-up on SQLite, by ``weeraan db upgrade`` in production."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

SCRIPT_LOCATION = "webhook:migrations"


def _config(connection: Any = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` in one transaction."""

    def run(connection: Any) -> None:
        command.upgrade(_config(connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def current_revision(engine: AsyncEngine) -> str | None:
    def read(connection: Any) -> str | None:
        rev: str | None = MigrationContext.configure(connection).get_current_revision()
        return rev

    async with engine.connect() as connection:
        return await connection.run_sync(read)


def head_revision() -> str | None:
    head: str | None = ScriptDirectory.from_config(_config()).get_current_head()
    return head


async def is_current(engine: AsyncEngine) -> bool:
    return await current_revision(engine) == head_revision()

"""``weeraan staff add | list | revoke``: managing caseworkers from the command line.

The token is printed once, on standard output, and never again: the database keeps only
its hash. Names are not secret and are what ``list`` and ``revoke`` go by.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from webhook.db import create_engine, is_sqlite
from webhook.migrate import is_current, upgrade
from webhook.settings import Settings
from webhook.staff.members import NameTaken, add_staff, clean_name, list_staff, revoke_staff

Out = Callable[[str], None]


class SchemaNotCurrent(RuntimeError):
    """PostgreSQL is not migrated yet: run ``weeraan db upgrade`` first."""


@asynccontextmanager
async def staff_database(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The database, migrated if it is SQLite (as ``weeraan serve`` does)."""
    db = create_engine(settings.database_url)
    try:
        if is_sqlite(settings.database_url):
            await upgrade(db)
        elif not await is_current(db):
            raise SchemaNotCurrent("the database schema is not current: run `weeraan db upgrade`")
        yield db
    finally:
        await db.dispose()


async def add_command(settings: Settings, name: str, out: Out, err: Out) -> int:
    try:
        clean_name(name)
        async with staff_database(settings) as db:
            new = await add_staff(db, name, now=datetime.now(UTC))
    except (ValueError, SchemaNotCurrent) as exc:  # NameTaken is a ValueError
        err(f"weeraan: {exc}")
        return 1
    out(f"Staff member {new.member.name!r} added.")
    out("Their token is shown only this once; hand it over safely:")
    out(new.token)
    return 0


async def list_command(settings: Settings, out: Out, err: Out) -> int:
    try:
        async with staff_database(settings) as db:
            members = await list_staff(db)
    except SchemaNotCurrent as exc:
        err(f"weeraan: {exc}")
        return 1
    if not members:
        out("no staff members yet: add one with `weeraan staff add NAME`")
    for member in members:
        state = "active" if member.active else "revoked"
        out(f"{member.name}\t{state}\tadded {member.created_at:%Y-%m-%d}")
    return 0


async def revoke_command(settings: Settings, name: str, out: Out, err: Out) -> int:
    try:
        async with staff_database(settings) as db:
            count = await revoke_staff(db, name)
    except (ValueError, SchemaNotCurrent) as exc:
        err(f"weeraan: {exc}")
        return 1
    if count == 0:
        err(f"weeraan: no active staff member is called {name!r}")
        return 1
    out(f"Revoked {name!r}: their token and dashboard sessions no longer work.")
    return 0


__all__ = ["NameTaken", "add_command", "list_command", "revoke_command"]

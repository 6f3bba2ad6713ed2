"""Caseworkers who may use the dashboard and the staff API, each with one bearer token.

The token is shown once, when the member is added; the database keeps only its SHA-256.
Revoking a member keeps the row (the audit log points to it) and ends their sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from webhook.db import writer
from webhook.staff.tokens import hash_secret, new_token, same
from webhook.tables import staff, staff_sessions

MAX_NAME = 80


@dataclass(frozen=True)
class StaffMember:
    id: int
    name: str


@dataclass(frozen=True)
class NewStaff:
    member: StaffMember
    token: str


@dataclass(frozen=True)
class StaffListing:
    id: int
    name: str
    active: bool
    created_at: datetime


class NameTaken(ValueError):
    """An active member already has this name (names tell members apart in the CLI)."""


def clean_name(name: str) -> str:
    """The name as stored: trimmed, 1-80 printable characters."""
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME or not cleaned.isprintable():
        raise ValueError(f"a staff name has 1 to {MAX_NAME} printable characters")
    return cleaned


async def add_staff(engine: AsyncEngine, name: str, *, now: datetime) -> NewStaff:
    """Create an active member with a fresh token; refuses a name an active member has."""
    cleaned = clean_name(name)
    token = new_token()
    async with writer(engine).begin() as connection:
        taken = await connection.scalar(
            select(staff.c.id).where(staff.c.name == cleaned, staff.c.active.is_(True))
        )
        if taken is not None:
            raise NameTaken(f"an active staff member is already called {cleaned!r}")
        result = await connection.execute(
            staff.insert()
            .returning(staff.c.id)
            .values(name=cleaned, token_hash=hash_secret(token), active=True, created_at=now)
        )
        member = StaffMember(int(result.scalar_one()), cleaned)
    return NewStaff(member, token)


async def list_staff(engine: AsyncEngine) -> list[StaffListing]:
    statement = select(staff.c.id, staff.c.name, staff.c.active, staff.c.created_at).order_by(
        staff.c.name, staff.c.id
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(statement)).all()
    return [StaffListing(row.id, row.name, bool(row.active), row.created_at) for row in rows]


async def revoke_staff(engine: AsyncEngine, name: str) -> int:
    """Deactivate the active members called ``name`` and end their sessions; how many."""
    cleaned = clean_name(name)
    async with writer(engine).begin() as connection:
        return await revoke_in(connection, cleaned)


async def revoke_in(connection: AsyncConnection, name: str) -> int:
    ids = list(
        (
            await connection.execute(
                select(staff.c.id).where(staff.c.name == name, staff.c.active.is_(True))
            )
        ).scalars()
    )
    if not ids:
        return 0
    await connection.execute(update(staff).where(staff.c.id.in_(ids)).values(active=False))
    await connection.execute(delete(staff_sessions).where(staff_sessions.c.staff_id.in_(ids)))
    return len(ids)


async def member_by_token(connection: AsyncConnection, token: str) -> StaffMember | None:
    """The active member holding ``token``, or None (unknown, malformed or revoked).

    The lookup is by the hash of a 256-bit secret, so its timing tells an attacker nothing;
    the stored hash is compared once more in constant time all the same.
    """
    if not token or len(token) > 200:
        return None
    wanted = hash_secret(token)
    row = (
        await connection.execute(
            select(staff.c.id, staff.c.name, staff.c.token_hash, staff.c.active).where(
                staff.c.token_hash == wanted
            )
        )
    ).first()
    if row is None or not same(row.token_hash, wanted) or not row.active:
        return None
    return StaffMember(row.id, row.name)

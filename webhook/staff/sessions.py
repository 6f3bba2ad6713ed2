"""Dashboard sessions: a random id in an HttpOnly cookie, its hash in ``staff_sessions``.

Logging in with the staff token opens a session for a working day; logging out or revoking
the member deletes it on the server, so a copied cookie stops working too. The CSRF token of
the session's forms is derived from the id (``tokens.csrf_token``) and never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from webhook.db import writer
from webhook.staff import audit
from webhook.staff.members import StaffMember, member_by_token
from webhook.staff.tokens import csrf_token, hash_secret, new_session_id
from webhook.tables import staff, staff_sessions

LIFETIME: Final = timedelta(hours=8)


@dataclass(frozen=True)
class DashboardSession:
    member: StaffMember
    session_id: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.session_id)


async def open_session(
    engine: AsyncEngine, token: str, *, now: datetime
) -> DashboardSession | None:
    """A new session for the member holding ``token``; None for a wrong or revoked token."""
    async with writer(engine).begin() as connection:
        member = await member_by_token(connection, token)
        if member is None:
            return None
        await connection.execute(delete(staff_sessions).where(staff_sessions.c.expires_at <= now))
        session_id = new_session_id()
        await connection.execute(
            staff_sessions.insert().values(
                id_hash=hash_secret(session_id),
                staff_id=member.id,
                created_at=now,
                expires_at=now + LIFETIME,
            )
        )
        await audit.record(
            connection, staff_id=member.id, action=audit.LOGIN, subject="dashboard", now=now
        )
    return DashboardSession(member, session_id)


async def find_session(
    connection: AsyncConnection, session_id: str, *, now: datetime
) -> DashboardSession | None:
    """The live session of an active member with this id, or None."""
    if not session_id or len(session_id) > 200:
        return None
    statement = (
        select(staff.c.id, staff.c.name)
        .select_from(staff_sessions.join(staff, staff.c.id == staff_sessions.c.staff_id))
        .where(
            staff_sessions.c.id_hash == hash_secret(session_id),
            staff_sessions.c.expires_at > now,
            staff.c.active.is_(True),
        )
    )
    row = (await connection.execute(statement)).first()
    return None if row is None else DashboardSession(StaffMember(row.id, row.name), session_id)


async def close_session(engine: AsyncEngine, session: DashboardSession, *, now: datetime) -> None:
    async with writer(engine).begin() as connection:
        await connection.execute(
            delete(staff_sessions).where(
                staff_sessions.c.id_hash == hash_secret(session.session_id)
            )
        )
        await audit.record(
            connection,
            staff_id=session.member.id,
            action=audit.LOGOUT,
            subject="dashboard",
            now=now,
        )

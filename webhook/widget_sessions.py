"""Widget sessions: a random id and a bearer token, of which only a hash is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from webhook.db import writer
from webhook.tables import widget_sessions

TOKEN_BYTES = 32  # 256 random bits


class Check(Enum):
    OK = "ok"
    UNKNOWN = "unknown"
    BAD_TOKEN = "bad_token"  # noqa: S105 - a state name, not a secret


@dataclass(frozen=True)
class NewSession:
    id: str
    token: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class WidgetSessions:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._writer = writer(engine)

    async def create(self) -> NewSession:
        session = NewSession(secrets.token_hex(16), secrets.token_urlsafe(TOKEN_BYTES))
        async with self._writer.begin() as connection:
            await connection.execute(
                widget_sessions.insert().values(
                    id=session.id,
                    token_hash=hash_token(session.token),
                    created_at=datetime.now(UTC),
                )
            )
        return session

    async def check(self, session_id: str, token: str | None) -> Check:
        """Whether ``token`` opens ``session_id``; compared in constant time."""
        async with self.engine.connect() as connection:
            stored = await connection.scalar(
                select(widget_sessions.c.token_hash).where(widget_sessions.c.id == session_id)
            )
        if stored is None:
            return Check.UNKNOWN
        if token is None or not hmac.compare_digest(hash_token(token), stored):
            return Check.BAD_TOKEN
        return Check.OK

    async def delete(self, session_id: str) -> None:
        async with self._writer.begin() as connection:
            await connection.execute(
                delete(widget_sessions).where(widget_sessions.c.id == session_id)
            )

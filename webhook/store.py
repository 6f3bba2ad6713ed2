"""The SQL ``ConversationStore``: one transaction per turn, serialised per resident.

On SQLite a turn starts with ``BEGIN IMMEDIATE`` (one writer at a time); on PostgreSQL it
takes a transaction-scoped advisory lock on the resident's key, so two turns of the same
resident queue even before their row exists, while other residents go on in parallel.
Hot paths use Core statements, not the ORM.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from dialogs.funnel import FunnelCounts
from dialogs.ports import ConversationKey
from dialogs.replies import RequestCallback
from dialogs.state import ConversationState
from webhook.booking.config import BookingConfig
from webhook.booking.desk import SqlBookingDesk, active_row, cancel_booking
from webhook.booking.payloads import staff_callback
from webhook.db import writer
from webhook.funnel.tally import tally
from webhook.outbox.erasure import ERASED, forget_notifications
from webhook.outbox.store import enqueue
from webhook.tables import bookings, callback_requests, conversations, handled_events

_STATE = select(conversations.c.state).where(
    (conversations.c.channel == bindparam("channel"))
    & (conversations.c.external_id == bindparam("external_id"))
)
_SAVED = ("state", "node", "locale", "ended", "updated_at")


def _upsert(insert: Any) -> Any:
    statement = insert(conversations)
    return statement.on_conflict_do_update(
        index_elements=[conversations.c.channel, conversations.c.external_id],
        set_={name: statement.excluded[name] for name in _SAVED},
    )


# Built once: a statement built per turn costs more to construct and key than to run.
_SAVE = {"sqlite": _upsert(sqlite.insert), "postgresql": _upsert(postgresql.insert)}
_FIRST_TIME = {
    "sqlite": sqlite.insert(handled_events).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(handled_events).on_conflict_do_nothing(),
}


def _key(key: ConversationKey) -> dict[str, str]:
    return {"channel": key.channel, "external_id": key.external_id}


def _where(key: ConversationKey) -> Any:
    return (conversations.c.channel == key.channel) & (
        conversations.c.external_id == key.external_id
    )


def lock_id(key: ConversationKey) -> int:
    """A stable signed 64-bit number for PostgreSQL's advisory lock on ``key``."""
    raw = f"{key.channel}\x1f{key.external_id}".encode()
    value = (zlib.crc32(raw) << 32) | zlib.adler32(raw)
    return value - (1 << 64) if value >= 1 << 63 else value


@dataclass
class SqlTurn:
    """A turn inside one open transaction."""

    connection: AsyncConnection
    key: ConversationKey
    state: ConversationState | None
    config: BookingConfig

    @property
    def bookings(self) -> SqlBookingDesk:
        return SqlBookingDesk(self.connection, self.key, self.config)

    async def save(self, state: ConversationState) -> None:
        values = {
            "channel": self.key.channel,
            "external_id": self.key.external_id,
            "state": self.config.vault.seal_text(state.to_json()),
            "node": state.node,
            "locale": state.locale,
            "ended": state.ended,
            "created_at": state.started_at,
            "updated_at": state.updated_at,
        }
        await self.connection.execute(_SAVE[self.connection.dialect.name], values)

    async def erase(self) -> None:
        """Delete the conversation and call-backs; cancel and anonymise the bookings; scrub the
        outbox (``webhook.outbox.erasure``)."""
        now = datetime.now(UTC)
        current = await active_row(self.connection, self.key)
        if current is not None:
            await cancel_booking(self.connection, current, self.config, now=now)
        await forget_notifications(self.connection, self.key, self.config.vault)
        await self.connection.execute(
            update(bookings)
            .where(bookings.c.channel == self.key.channel)
            .where(bookings.c.external_id == self.key.external_id)
            .values(name=ERASED, phone=ERASED, email=None, external_id=ERASED, updated_at=now)
        )
        await self.connection.execute(delete(conversations).where(_where(self.key)))
        await self.connection.execute(
            delete(callback_requests).where(
                (callback_requests.c.channel == self.key.channel)
                & (callback_requests.c.external_id == self.key.external_id)
            )
        )
        self.state = None

    async def first_time(self, token: str) -> bool:
        statement = _FIRST_TIME[self.connection.dialect.name]
        result = await self.connection.execute(statement, {"token": token, "at": datetime.now(UTC)})
        return result.rowcount == 1

    async def tally(self, counts: FunnelCounts) -> None:
        await tally(self.connection, self.key.channel, counts)

    async def request_callback(self, request: RequestCallback) -> None:
        decision = request.decision
        now = datetime.now(UTC)
        result = await self.connection.execute(
            callback_requests.insert()
            .returning(*callback_requests.c)
            .values(
                channel=self.key.channel,
                external_id=self.key.external_id,
                phone=self.config.vault.seal(request.phone),
                part_of_day=request.part_of_day,
                urgent=request.urgent,
                outcome=decision.outcome if decision else None,
                reasons=json.dumps(list(decision.reasons)) if decision else "[]",
                rule_version=decision.rule_version if decision else None,
                locale=self.state.locale if self.state else "nl",
                status="open",
                created_at=now,
                situation=request.situation,
                energy=request.energy,
                supplier=request.supplier,
            )
        )
        row = self.config.vault.open_row(result.one())
        await enqueue(
            self.connection,
            event="callback.requested",
            payload=staff_callback(row),
            targets=self.config.staff_targets,
            now=now,
            vault=self.config.vault,
        )


class SqlConversationStore:
    """Conversation state in the ``conversations`` table, as one JSON document per resident."""

    def __init__(self, engine: AsyncEngine, config: BookingConfig | None = None) -> None:
        self.engine = engine
        self.config = config or BookingConfig()
        self._writer = writer(engine)
        self._postgres = engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def turn(self, key: ConversationKey) -> AsyncIterator[SqlTurn]:
        async with self._writer.begin() as connection:
            if self._postgres:
                await connection.execute(select(func.pg_advisory_xact_lock(lock_id(key))))
            raw = await connection.scalar(_STATE, _key(key))
            state = None if raw is None else self._state(raw)
            yield SqlTurn(connection, key, state, self.config)

    async def get(self, key: ConversationKey) -> ConversationState | None:
        async with self.engine.connect() as connection:
            raw = await connection.scalar(_STATE, _key(key))
        return None if raw is None else self._state(raw)

    def _state(self, raw: str) -> ConversationState:
        return ConversationState.from_json(self.config.vault.open_text(raw))

    async def count_callbacks(self, key: ConversationKey) -> int:
        """How many call-back requests are kept for ``key`` (for tests and erasure checks)."""
        statement = select(func.count()).where(
            (callback_requests.c.channel == key.channel)
            & (callback_requests.c.external_id == key.external_id)
        )
        async with self.engine.connect() as connection:
            return int(await connection.scalar(statement) or 0)

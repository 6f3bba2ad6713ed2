"""The worker's side of the ``outbox`` table: claim due rows under a lease, record results.

A claim sets ``locked_until`` (the lease) and commits *before* anything is delivered, so no
transaction is held open while a target is slow. A row is due when it is pending, its
``next_attempt_at`` has come and nobody holds a live lease on it; a worker that died
mid-delivery leaves a lease that simply runs out, and the row is claimed again.

PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` lets several workers take disjoint rows
without waiting for each other. Elsewhere (SQLite): the claim runs in a ``BEGIN IMMEDIATE``
transaction (one writer at a time) and each row is taken with a conditional UPDATE that only
succeeds if ``locked_until`` is still what was read.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from webhook.crypto import Vault
from webhook.db import writer
from webhook.outbox.delivery import OutboxMessage
from webhook.outbox.store import Event, Target
from webhook.tables import outbox

_COLUMNS = (
    outbox.c.id,
    outbox.c.message_id,
    outbox.c.event,
    outbox.c.target,
    outbox.c.payload,
    outbox.c.attempts,
    outbox.c.created_at,
    outbox.c.locked_until,
)


@dataclass(frozen=True)
class Claim:
    """A message this worker may deliver until ``lease`` (the value it wrote)."""

    message: OutboxMessage
    lease: datetime


def as_utc(value: datetime) -> datetime:
    """SQLite hands datetimes back without an offset; everything stored is UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


async def claim_due(
    engine: AsyncEngine,
    *,
    now: datetime,
    lease: timedelta,
    batch: int,
    targets: Collection[Target],
    vault: Vault,
) -> list[Claim]:
    """Take up to ``batch`` due rows for ``targets``, oldest first, and commit the lease.

    Payloads are opened with ``vault`` (they are sealed at rest)."""
    if not targets:
        return []
    until = now + lease
    due = (
        select(*_COLUMNS)
        .where(_is_due(now, targets))
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(batch)
    )
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            rows = (await connection.execute(due.with_for_update(skip_locked=True))).all()
            if rows:
                ids = [row.id for row in rows]
                await connection.execute(
                    update(outbox).where(outbox.c.id.in_(ids)).values(locked_until=until)
                )
            return [Claim(_message(row, vault), until) for row in rows]
    async with writer(engine).begin() as connection:
        rows = (await connection.execute(due)).all()
        taken = [row for row in rows if await _take(connection, row, until)]
        return [Claim(_message(row, vault), until) for row in taken]


def _is_due(now: datetime, targets: Collection[Target]) -> ColumnElement[bool]:
    return and_(
        outbox.c.status == "pending",
        outbox.c.next_attempt_at <= now,
        or_(outbox.c.locked_until.is_(None), outbox.c.locked_until < now),
        outbox.c.target.in_(list(targets)),
    )


async def _take(connection: AsyncConnection, row: Row[*tuple[Any, ...]], until: datetime) -> bool:
    read = row.locked_until
    unchanged = outbox.c.locked_until.is_(None) if read is None else outbox.c.locked_until == read
    result = await connection.execute(
        update(outbox)
        .where(outbox.c.id == row.id, outbox.c.status == "pending", unchanged)
        .values(locked_until=until)
    )
    return result.rowcount == 1


def _message(row: Row[*tuple[Any, ...]], vault: Vault) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        message_id=row.message_id,
        event=cast(Event, row.event),
        target=cast(Target, row.target),
        payload=json.loads(vault.open_text(row.payload)),
        attempts=row.attempts,
        created_at=as_utc(row.created_at),
    )


async def mark_sent(engine: AsyncEngine, claim: Claim, *, now: datetime) -> None:
    """The target accepted the message: it is never delivered again."""
    async with writer(engine).begin() as connection:
        await connection.execute(
            update(outbox)
            .where(outbox.c.id == claim.message.id, outbox.c.status == "pending")
            .values(status="sent", sent_at=now, locked_until=None)
        )


async def mark_failed(
    engine: AsyncEngine,
    claim: Claim,
    *,
    error: str,
    next_attempt_at: datetime,
    dead: bool,
) -> bool:
    """Count the failed attempt and schedule the next one (or give up: ``dead``).

    Only while this worker's lease is still the row's lease; returns whether it was.
    """
    async with writer(engine).begin() as connection:
        result = await connection.execute(
            update(outbox)
            .where(*_held(claim))
            .values(
                attempts=outbox.c.attempts + 1,
                last_error=error,
                next_attempt_at=next_attempt_at,
                locked_until=None,
                status="dead" if dead else "pending",
            )
        )
        return result.rowcount == 1


async def release(engine: AsyncEngine, claim: Claim) -> None:
    """Give a claimed row back untried (this worker ran out of lease before reaching it)."""
    async with writer(engine).begin() as connection:
        await connection.execute(update(outbox).where(*_held(claim)).values(locked_until=None))


def _held(claim: Claim) -> tuple[ColumnElement[bool], ...]:
    return (
        outbox.c.id == claim.message.id,
        outbox.c.status == "pending",
        outbox.c.locked_until == claim.lease,
    )

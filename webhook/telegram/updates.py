"""Which Telegram updates arrived, how often, and which are done or poison.

Handling an update exactly once is the turn's job (``TurnTx.first_time``, in the same
transaction as the state); this table remembers attempts across restarts, so an update that
keeps failing is acknowledged after ``POISON_AFTER`` tries instead of blocking the chat.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from webhook.booking.times import utc
from webhook.db import writer
from webhook.tables import telegram_updates

POISON_AFTER = 3
BUSY_FOR = timedelta(seconds=15)
"""How long a delivery being processed holds off a second one. A turn takes well under a
second; an update still "processing" after this was cut off (a crash, the database away)
and is taken up again (its turn is recorded with the turn, so it is never done twice)."""


class Verdict(Enum):
    PROCESS = "process"
    DONE = "done"
    BUSY = "busy"
    POISON = "poison"


class UpdateLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._writer = writer(engine)

    async def begin(self, update_id: int, *, now: datetime) -> Verdict:
        """Count an attempt; say whether to process it, or that it is done, busy or poison."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        async with self._writer.begin() as connection:
            inserted = await connection.execute(
                dialect.insert(telegram_updates)
                .values(update_id=update_id, status="processing", attempts=1, updated_at=now)
                .on_conflict_do_nothing()
            )
            if inserted.rowcount == 1:
                return Verdict.PROCESS
            row = (
                await connection.execute(
                    select(telegram_updates).where(telegram_updates.c.update_id == update_id)
                )
            ).one()
            if row.status in ("done", "poison"):
                return Verdict.DONE
            recent = utc(row.updated_at) > now - BUSY_FOR
            if row.status == "processing" and recent:
                return Verdict.BUSY
            poison = row.attempts >= POISON_AFTER
            await connection.execute(
                update(telegram_updates)
                .where(telegram_updates.c.update_id == update_id)
                .values(
                    status="poison" if poison else "processing",
                    attempts=row.attempts + 1,
                    updated_at=now,
                )
            )
            return Verdict.POISON if poison else Verdict.PROCESS

    async def finish(self, update_id: int, *, now: datetime, failed: bool = False) -> None:
        async with self._writer.begin() as connection:
            await connection.execute(
                update(telegram_updates)
                .where(telegram_updates.c.update_id == update_id)
                .values(status="failed" if failed else "done", updated_at=now)
            )

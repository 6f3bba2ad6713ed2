"""Books residents in a loop, one turn each, until killed: for the kill -9 test.

Usage: python -m tests.faults.booking_loop DATABASE_URL RUN KEY

Prints ``ready`` once the database is open, ``booked <external_id>`` (or ``taken …`` when
the slot was full) after each commit. With ``WEERAAN_FAULT_PAUSE_AFTER=N`` the turn after N
commits stops inside its transaction (the slot taken, the booking and its outbox rows
written, nothing committed), prints ``paused <external_id>`` and waits to be killed.
"""

from __future__ import annotations

import asyncio
import os
import sys

from sqlalchemy import select

from dialogs.booking import Booked
from dialogs.ports import ConversationKey
from tests.booking.conftest import request
from tests.faults.shared import NOW, config_for
from webhook.booking import slots as agenda
from webhook.booking.times import utc
from webhook.crypto import Vault
from webhook.db import create_engine
from webhook.store import SqlConversationStore
from webhook.tables import slots


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def main(database_url: str, run: str, key: str) -> None:
    pause_after = int(os.environ.get("WEERAAN_FAULT_PAUSE_AFTER", "-1"))
    engine = create_engine(database_url)
    config = config_for(Vault([key]))
    store = SqlConversationStore(engine, config)
    earliest = agenda.window(config, now=NOW, urgent=False).earliest
    free = (
        select(slots.c.id)
        .where(slots.c.booked < slots.c.capacity, slots.c.starts_at >= utc(earliest))
        .order_by(slots.c.id)
    )
    async with engine.connect() as connection:
        await connection.scalar(free.limit(1))
    say("ready")
    i = 0
    while True:
        external_id = f"r{run}-{i}"
        async with store.turn(ConversationKey("widget", external_id)) as tx:
            slot_id = await tx.connection.scalar(free.limit(1))
            assert slot_id is not None, "the agenda is full"
            result = await tx.bookings.book(request(slot_id), now=NOW)
            if i == pause_after:
                say(f"paused {external_id}")
                await asyncio.sleep(3600)
        say(f"{'booked' if isinstance(result, Booked) else 'taken'} {external_id}")
        i += 1


if __name__ == "__main__":
    url, run_name, vault_key = sys.argv[1:4]
    asyncio.run(main(url, run_name, vault_key))

"""Residents waiting at the booking summary, written straight into the database.

Walking thousands of residents through twenty questions would take longer than the
benchmark itself; instead one resident walks there through the service (the real code),
and the others get a copy of that conversation with a slot of their own.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from dialogs.events import Event, OptionChosen, Started, TextEntered
from dialogs.ports import ConversationKey
from dialogs.state import ConversationState
from webhook.compose import Backend, open_backend
from webhook.settings import Settings
from webhook.tables import conversations, slots

CHANNEL = "telegram"
NOTICE = timedelta(days=1)
"""Slots sooner than this are left alone: they could pass the notice time during the run."""
TO_SUMMARY: tuple[Event, ...] = (
    Started(locale="nl"),
    OptionChosen("lang:nl"),
    OptionChosen("privacy:agree"),
    OptionChosen("gas:no"),
    OptionChosen("medical:no"),
    OptionChosen("situation:letter"),
    OptionChosen("energy:gas"),
    TextEntered("1315 AB 12"),
    OptionChosen("supplier:vattenfall"),
    OptionChosen("debt:yes"),
    OptionChosen("prevention:book"),
    OptionChosen("mode:office"),
)
AFTER_TIME: tuple[Event, ...] = (
    TextEntered("Fatima de Vries"),
    TextEntered("06 12345678"),
    OptionChosen("email:skip"),
)


@contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@asynccontextmanager
async def backend(env: dict[str, str]) -> AsyncIterator[Backend]:
    """The app's backend in this process, on the database the server will use."""
    with environment(env):
        settings = Settings()
    async with open_backend(settings) as opened:
        yield opened


async def at_summary(opened: Backend) -> ConversationState:
    """One resident's conversation at the booking summary, walked through the service."""
    key = ConversationKey(CHANNEL, "1")
    service = opened.service
    for event in TO_SUMMARY:
        turn = await service.handle(key, event)
    for _ in ("day", "time"):
        turn = await service.handle(key, OptionChosen(turn.messages[-1].options[0].id))
    for event in AFTER_TIME:
        await service.handle(key, event)
    state = await service.state(key)
    if state is None or state.node != "booking_summary":
        raise RuntimeError(f"the walk ended at {state.node if state else None}")
    return state


async def office_slots(opened: Backend) -> list[tuple[int, datetime, datetime]]:
    statement = (
        select(slots.c.id, slots.c.starts_at, slots.c.ends_at)
        .where(slots.c.mode == "office", slots.c.starts_at > datetime.now(UTC) + NOTICE)
        .order_by(slots.c.starts_at)
    )
    async with opened.db.connect() as connection:
        rows = (await connection.execute(statement)).all()
    zone = opened.config.zone
    return [
        (r.id, _utc(r.starts_at).astimezone(zone), _utc(r.ends_at).astimezone(zone)) for r in rows
    ]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def seat(
    opened: Backend,
    template: ConversationState,
    users: range,
    slot_list: list[tuple[int, datetime, datetime]],
) -> None:
    """Residents ``users`` at the summary, each with the next slot of ``slot_list`` in turn."""
    vault, now = opened.config.vault, datetime.now(UTC)
    rows = []
    for index, user in enumerate(users):
        slot_id, starts, ends = slot_list[index % len(slot_list)]
        answers = {
            **template.answers,
            "slot_id": str(slot_id),
            "slot_start": starts.isoformat(),
            "slot_end": ends.isoformat(),
        }
        state = replace(template, answers=answers)
        rows.append(
            {
                "channel": CHANNEL,
                "external_id": str(user),
                "state": vault.seal_text(state.to_json()),
                "node": state.node,
                "locale": state.locale,
                "ended": False,
                "created_at": now,
                "updated_at": now,
            }
        )
    async with opened.db.begin() as connection:
        await connection.execute(conversations.insert(), rows)


async def set_capacity(opened: Backend, slot_id: int, capacity: int) -> None:
    async with opened.db.begin() as connection:
        await connection.execute(
            update(slots).where(slots.c.id == slot_id).values(capacity=capacity, booked=0)
        )

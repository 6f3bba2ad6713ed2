"""Testing tools: drive the engine with an in-memory agenda, synchronously.

``SettlingEngine`` has the engine's interface; its ``step`` also answers the engine's
questions to the booking port (free days, times, booking) from a ``MemoryAgenda``, as the
service does from the database. Used by the engine tests and handy in a REPL.
"""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any, TypeVar

from dialogs.booking import SlotOffer
from dialogs.engine import Engine, Step
from dialogs.events import Event
from dialogs.memory_agenda import MemoryAgenda
from dialogs.ports import ConversationKey
from dialogs.service import settle
from dialogs.state import ConversationState

T = TypeVar("T")
KEY = ConversationKey("test", "resident")


def run_now(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never waits (in-memory ports) to its end, without a loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("the coroutine waited for something; use an event loop")


def agenda_with_slots(start: datetime, days: int = 3, capacity: int = 2) -> MemoryAgenda:
    """Slots at 9:00 and 10:00 for both modes on ``days`` days after ``start``."""
    agenda = MemoryAgenda()
    slot_id = 0
    for day in range(1, days + 1):
        for hour in (9, 10):
            begins = (start + timedelta(days=day)).replace(hour=hour, minute=0, second=0)
            for mode in ("office", "phone"):
                slot_id += 1
                offer = SlotOffer(slot_id, begins, begins + timedelta(minutes=45), mode)
                agenda.add(offer, capacity)
    return agenda


class SettlingEngine:
    """The engine, with the booking port's answers filled in from a ``MemoryAgenda``."""

    def __init__(self, engine: Engine, agenda: MemoryAgenda, key: ConversationKey = KEY) -> None:
        self.engine = engine
        self.agenda = agenda
        self.desk = agenda.desk(key)

    def step(self, state: ConversationState | None, event: Event, *, now: datetime) -> Step:
        return run_now(settle(self.engine, self.desk, state, event, now=now))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

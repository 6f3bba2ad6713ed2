"""An in-memory ``ConversationStore`` for tests and the contract suite.

It behaves like the SQL store: state is kept as JSON, one lock per resident, and a turn's
writes become visible only when the turn ends without an exception (bookings in the
in-memory agenda excepted: they apply at once).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date

from dialogs.funnel import FunnelCounts, counted_source
from dialogs.memory_agenda import MemoryAgenda, MemoryDesk
from dialogs.ports import ConversationKey
from dialogs.replies import RequestCallback
from dialogs.state import ConversationState


@dataclass
class _MemoryTx:
    state: ConversationState | None
    bookings: MemoryDesk
    handled: set[str]
    saved: str | None = None
    tokens: set[str] = field(default_factory=set)
    erased: bool = False
    callbacks: list[RequestCallback] = field(default_factory=list)
    counted: list[FunnelCounts] = field(default_factory=list)

    async def save(self, state: ConversationState) -> None:
        self.saved, self.erased = state.to_json(), False

    async def erase(self) -> None:
        self.saved, self.erased = None, True
        self.callbacks.clear()

    async def request_callback(self, request: RequestCallback) -> None:
        self.callbacks.append(request)

    async def first_time(self, token: str) -> bool:
        if token in self.handled or token in self.tokens:
            return False
        self.tokens.add(token)
        return True

    async def tally(self, counts: FunnelCounts) -> None:
        self.counted.append(counts)


@dataclass
class MemoryFunnel:
    """The funnel's counters, keyed as in the SQL tables (day, node or outcome, language,
    channel, source)."""

    nodes: dict[tuple[date, str, str, str, str], tuple[int, int]] = field(default_factory=dict)
    outcomes: dict[tuple[date, str, str, str, str], int] = field(default_factory=dict)

    def add(self, channel: str, counts: FunnelCounts) -> None:
        for count in counts.nodes:
            source = counted_source(count.source, channel)
            key = (count.day, count.node, count.locale, channel, source)
            reached, stopped = self.nodes.get(key, (0, 0))
            self.nodes[key] = (reached + count.reached, stopped + count.stopped)
        for end in counts.finished:
            key = (end.day, end.outcome, end.locale, channel, counted_source(end.source, channel))
            self.outcomes[key] = self.outcomes.get(key, 0) + 1


@dataclass
class MemoryStore:
    rows: dict[ConversationKey, str] = field(default_factory=dict)
    callbacks: dict[ConversationKey, list[RequestCallback]] = field(
        default_factory=lambda: defaultdict(list)
    )
    agenda: MemoryAgenda = field(default_factory=MemoryAgenda)
    handled: set[str] = field(default_factory=set)
    funnel: MemoryFunnel = field(default_factory=MemoryFunnel)
    _locks: defaultdict[ConversationKey, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )

    @asynccontextmanager
    async def turn(self, key: ConversationKey) -> AsyncIterator[_MemoryTx]:
        async with self._locks[key]:
            tx = _MemoryTx(await self.get(key), self.agenda.desk(key), self.handled)
            yield tx
            self._commit(key, tx)

    def _commit(self, key: ConversationKey, tx: _MemoryTx) -> None:
        if tx.erased:
            self.rows.pop(key, None)
            self.callbacks.pop(key, None)
        elif tx.saved is not None:
            self.rows[key] = tx.saved
        if tx.callbacks:
            self.callbacks[key].extend(tx.callbacks)
        self.handled |= tx.tokens
        for counts in tx.counted:
            self.funnel.add(key.channel, counts)

    async def get(self, key: ConversationKey) -> ConversationState | None:
        raw = self.rows.get(key)
        return None if raw is None else ConversationState.from_json(raw)

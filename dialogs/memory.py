"""In-memory implementations of the ports, for tests and the contract suite."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from dialogs.ports import ConversationKey
from dialogs.replies import RequestCallback
from dialogs.state import ConversationState


@dataclass
class _MemoryTx:
    store: MemoryStore
    key: ConversationKey

    @property
    def state(self) -> ConversationState | None:
        raw = self.store.rows.get(self.key)
        return None if raw is None else ConversationState.from_json(raw)

    async def save(self, state: ConversationState) -> None:
        self.store.rows[self.key] = state.to_json()

    async def delete(self) -> None:
        self.store.rows.pop(self.key, None)


@dataclass
class MemoryStore:
    """Conversation state in a dict, serialised as JSON like the SQL store, one lock per key."""

    rows: dict[ConversationKey, str] = field(default_factory=dict)
    _locks: defaultdict[ConversationKey, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )

    @asynccontextmanager
    async def turn(self, key: ConversationKey) -> AsyncIterator[_MemoryTx]:
        async with self._locks[key]:
            yield _MemoryTx(self, key)

    async def get(self, key: ConversationKey) -> ConversationState | None:
        raw = self.rows.get(key)
        return None if raw is None else ConversationState.from_json(raw)

    async def delete(self, key: ConversationKey) -> bool:
        return self.rows.pop(key, None) is not None


@dataclass
class MemoryHandoff:
    """Collects call-back requests in a list."""

    requests: list[tuple[ConversationKey, RequestCallback]] = field(default_factory=list)

    async def request_callback(self, key: ConversationKey, request: RequestCallback) -> None:
        self.requests.append((key, request))

    async def forget(self, key: ConversationKey) -> None:
        self.requests = [(k, r) for k, r in self.requests if k != key]

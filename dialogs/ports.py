"""Ports: what the conversation service needs from the world, as Protocols.

Implementations live elsewhere (``dialogs.memory`` for tests and ``webhook.store`` for SQL);
one contract test class runs over all of them.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import NamedTuple, Protocol

from dialogs.replies import RequestCallback
from dialogs.state import ConversationState


class ConversationKey(NamedTuple):
    """Who a conversation belongs to: the channel and the resident's id on that channel."""

    channel: str
    external_id: str


class ConversationTx(Protocol):
    """One resident's conversation, locked for the length of a turn."""

    @property
    def state(self) -> ConversationState | None: ...

    async def save(self, state: ConversationState) -> None: ...

    async def delete(self) -> None: ...


class ConversationStore(Protocol):
    """Keeps conversation state; a turn runs inside ``turn(key)`` so turns never interleave."""

    def turn(self, key: ConversationKey) -> AbstractAsyncContextManager[ConversationTx]: ...

    async def get(self, key: ConversationKey) -> ConversationState | None: ...

    async def delete(self, key: ConversationKey) -> bool: ...


class Handoff(Protocol):
    """Passes call-back requests to caseworkers and forgets a resident's pending ones."""

    async def request_callback(self, key: ConversationKey, request: RequestCallback) -> None: ...

    async def forget(self, key: ConversationKey) -> None: ...


class Translator(Protocol):
    """Translates Dutch msgids into ``locale``; unknown msgids come back unchanged."""

    def gettext(self, locale: str, msgid: str) -> str: ...

"""Ports: what the conversation service needs from the world, as Protocols.

A turn is one unit of work: ``ConversationStore.turn(key)`` locks one resident's conversation
and yields a ``TurnTx`` through which the service reads the state, carries out the engine's
effects and saves, all committed together (or not at all). Implementations live in
``dialogs.memory`` (tests) and ``webhook.store`` (SQL); one contract test class covers both.
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


class TurnTx(Protocol):
    """One resident's conversation, locked for the length of a turn."""

    @property
    def state(self) -> ConversationState | None: ...

    async def save(self, state: ConversationState) -> None:
        """Keep ``state`` as the conversation's new state."""

    async def erase(self) -> None:
        """Delete the conversation and every piece of personal data kept for it."""

    async def request_callback(self, request: RequestCallback) -> None:
        """Record that a caseworker should call this resident back."""


class ConversationStore(Protocol):
    """Keeps conversations; turns of one resident never interleave."""

    def turn(self, key: ConversationKey) -> AbstractAsyncContextManager[TurnTx]: ...

    async def get(self, key: ConversationKey) -> ConversationState | None: ...


class Translator(Protocol):
    """Translates Dutch msgids into ``locale``; unknown msgids come back unchanged."""

    def gettext(self, locale: str, msgid: str) -> str: ...

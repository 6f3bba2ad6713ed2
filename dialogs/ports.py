"""Ports: what the conversation service needs from the world, as Protocols.

A turn is one unit of work: ``ConversationStore.turn(key)`` locks one resident's conversation
and yields a ``TurnTx`` through which the service reads the state, carries out the engine's
effects and saves, all committed together (or not at all). Implementations live in
``dialogs.memory`` (tests) and ``webhook.store`` (SQL); one contract test class covers both.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import NamedTuple, Protocol

from dialogs.booking import BookingInfo, BookRequest, BookResult, SlotOffer
from dialogs.funnel import FunnelCounts
from dialogs.replies import RequestCallback
from dialogs.state import ConversationState


class ConversationKey(NamedTuple):
    """Who a conversation belongs to: the channel and the resident's id on that channel."""

    channel: str
    external_id: str


class BookingDesk(Protocol):
    """One resident's view of the intake agenda, inside the turn's transaction."""

    def local_date(self, now: datetime) -> date:
        """The date of ``now`` where the intakes are (for "today" and "tomorrow")."""

    async def free_days(self, *, mode: str, urgent: bool, now: datetime) -> tuple[date, ...]:
        """Days with a free slot; for urgent residents only within the urgent term."""

    async def free_slots(
        self, *, mode: str, day: date, urgent: bool, now: datetime
    ) -> tuple[SlotOffer, ...]:
        """The free slots of one day."""

    async def book(self, request: BookRequest, *, now: datetime) -> BookResult:
        """Take the slot atomically; a repeated confirm returns the same booking."""

    async def move(self, slot_id: int, *, now: datetime) -> BookResult:
        """Move the active booking to another slot (``SlotTaken`` if it is not free)."""

    async def active(self) -> BookingInfo | None:
        """The resident's active booking."""

    async def cancel(self, *, now: datetime) -> BookingInfo | None:
        """Cancel the active booking and free its slot; ``None`` if there is none."""


class TurnTx(Protocol):
    """One resident's conversation, locked for the length of a turn."""

    @property
    def state(self) -> ConversationState | None: ...

    @property
    def bookings(self) -> BookingDesk: ...

    async def save(self, state: ConversationState) -> None:
        """Keep ``state`` as the conversation's new state."""

    async def erase(self) -> None:
        """Delete the conversation and every piece of personal data kept for it."""

    async def request_callback(self, request: RequestCallback) -> None:
        """Record that a caseworker should call this resident back."""

    async def first_time(self, token: str) -> bool:
        """Record ``token`` (e.g. a Telegram update id) as handled in this turn's transaction;
        ``False`` if it was handled before, so a redelivered update changes nothing."""

    async def tally(self, counts: FunnelCounts) -> None:
        """Add a turn's anonymous funnel counts for this conversation's channel; they are
        kept apart from the conversation and outlive its erasure."""


class ConversationStore(Protocol):
    """Keeps conversations; turns of one resident never interleave."""

    def turn(self, key: ConversationKey) -> AbstractAsyncContextManager[TurnTx]: ...

    async def get(self, key: ConversationKey) -> ConversationState | None: ...


class Translator(Protocol):
    """Translates Dutch msgids into ``locale``; unknown msgids come back unchanged."""

    def gettext(self, locale: str, msgid: str) -> str: ...

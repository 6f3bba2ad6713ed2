"""The conversation service: the one async part of ``dialogs``.

A turn: lock the resident's conversation, load its state, turn typed text into the event it
stands for, step the engine, carry out the effects through the ports, save, and render the
replies in the conversation's language. Channels (Telegram, widget, terminal) call only this.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from dialogs.engine import Engine, Step
from dialogs.events import (
    BookingDone,
    BookingLookedUp,
    DaysFound,
    Event,
    PortAnswer,
    Started,
    TextEntered,
    TimesFound,
)
from dialogs.funnel import funnel_counts
from dialogs.matching import interpret
from dialogs.ports import BookingDesk, ConversationKey, ConversationStore, Translator, TurnTx
from dialogs.render import MessageView, render_replies
from dialogs.replies import (
    CancelBooking,
    ConversationFinished,
    Effect,
    EraseData,
    FindDays,
    FindTimes,
    LookUpBooking,
    MakeBooking,
    MoveBooking,
    Query,
    Reply,
    RequestCallback,
)
from dialogs.state import ConversationState

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
MAX_QUERIES = 6
"""Port questions answered in one turn at most (an offer, a booking, a re-offer...)."""
QUERIES = (FindDays, FindTimes, MakeBooking, MoveBooking, LookUpBooking, CancelBooking)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Turn:
    """The result of one turn, ready for a channel to show."""

    messages: tuple[MessageView, ...]
    locale: str
    ended: bool
    erased: bool = False
    reference: str | None = None
    """The reference of the resident's booking, once the conversation knows one."""
    duplicate: bool = False
    """The event was handled before (``once``): nothing happened now, and ``messages`` are
    the current question again."""


class ConversationService:
    """Runs turns for every channel; holds no state of its own between turns."""

    def __init__(
        self,
        engine: Engine,
        store: ConversationStore,
        translator: Translator,
        clock: Clock = utc_now,
    ) -> None:
        self.engine = engine
        self.store = store
        self.translator = translator
        self.clock = clock

    async def start(
        self, key: ConversationKey, *, locale: str | None = None, source: str | None = None
    ) -> Turn:
        """Begin a new conversation (replacing any earlier one of the same key)."""
        return await self.handle(key, Started(locale, source))

    async def handle(
        self,
        key: ConversationKey,
        event: Event,
        *,
        locale_hint: str | None = None,
        once: str | None = None,
    ) -> Turn:
        """Apply one event from the resident and return what to show them.

        ``locale_hint`` (e.g. Telegram's ``language_code``) picks the language when this is
        the resident's first message; after that the conversation's own language counts.
        ``once`` (e.g. ``telegram:<update_id>``) makes a redelivered event a no-op: it is
        recorded in the same transaction as the turn; a second time nothing happens and the
        current question is shown again.
        """
        async with self.store.turn(key) as tx:
            before = tx.state
            if once is not None and not await tx.first_time(once):
                return self._again(before, locale_hint)
            if before is None and not isinstance(event, Started):
                event = Started(locale=locale_hint)
            event = self._understand(before, event)
            step = await settle(self.engine, tx.bookings, before, event, now=self.clock())
            await self._carry_out(tx, step)
            await _tally(tx, before, step, fresh=self.engine.starts_anew(before, event))
        locale = _locale_of(step.state, before, self.engine)
        return Turn(
            messages=render_replies(step.replies, locale, self.translator),
            locale=locale,
            ended=step.state is None or step.state.ended,
            erased=step.state is None,
            reference=_reference(step.state),
        )

    async def current(self, key: ConversationKey) -> Turn | None:
        """The current question again (to resume after a reload); ``None`` if unknown."""
        state = await self.store.get(key)
        return None if state is None else self._shown(state)

    def _shown(self, state: ConversationState, *, duplicate: bool = False) -> Turn:
        messages = render_replies(self.engine.current(state), state.locale, self.translator)
        reference = _reference(state)
        return Turn(messages, state.locale, state.ended, reference=reference, duplicate=duplicate)

    def _again(self, state: ConversationState | None, locale_hint: str | None) -> Turn:
        """A redelivered event: nothing happens, and the current question is shown again (the
        first answer to it may have been lost on the way)."""
        if state is None:
            return Turn((), self.engine.normalise_locale(locale_hint), True, duplicate=True)
        return self._shown(state, duplicate=True)

    async def state(self, key: ConversationKey) -> ConversationState | None:
        return await self.store.get(key)

    async def erase(self, key: ConversationKey) -> bool:
        """Forget the conversation and any personal data kept for it; ``False`` if unknown."""
        async with self.store.turn(key) as tx:
            existed = tx.state is not None
            await tx.erase()
        return existed

    def _understand(self, state: ConversationState | None, event: Event) -> Event:
        if not isinstance(event, TextEntered) or state is None:
            return event
        locale = state.locale
        return interpret(
            event.text,
            buttons=() if state.ended else self.engine.buttons(state),
            commands=self.engine.tree.commands,
            translate=lambda msgid: self.translator.gettext(locale, msgid),
        )

    async def _carry_out(self, tx: TurnTx, step: Step) -> None:
        for effect in step.effects:
            await _effect(tx, effect)
        if step.state is not None:
            await tx.save(step.state)


async def settle(
    engine: Engine,
    desk: BookingDesk,
    state: ConversationState | None,
    event: Event,
    *,
    now: datetime,
) -> Step:
    """Step the engine, answering its questions to the booking port as they come.

    The result holds every reply and every effect except the answered questions.
    """
    step = engine.step(state, event, now=now)
    replies: list[Reply] = list(step.replies)
    effects: list[Effect] = []
    for _ in range(MAX_QUERIES):
        effects.extend(e for e in step.effects if not isinstance(e, QUERIES))
        queries = [e for e in step.effects if isinstance(e, QUERIES)]
        if not queries or step.state is None:
            break
        answer = await ask_port(desk, queries[-1], now)
        step = engine.step(step.state, answer, now=now)
        replies.extend(step.replies)
    return Step(step.state, tuple(replies), tuple(effects))


async def ask_port(desk: BookingDesk, query: Query, now: datetime) -> PortAnswer:
    """The booking port's answer to one of the engine's questions."""
    match query:
        case FindDays(mode=mode, urgent=urgent):
            days = await desk.free_days(mode=mode, urgent=urgent, now=now)
            return DaysFound(days, today=desk.local_date(now))
        case FindTimes(mode=mode, day=day, urgent=urgent):
            return TimesFound(await desk.free_slots(mode=mode, day=day, urgent=urgent, now=now))
        case MakeBooking(request=request):
            return BookingDone(await desk.book(request, now=now))
        case MoveBooking(slot_id=slot_id):
            return BookingDone(await desk.move(slot_id, now=now))
        case LookUpBooking():
            return BookingLookedUp(await desk.active())
        case CancelBooking():
            return BookingLookedUp(await desk.cancel(now=now))


async def _effect(tx: TurnTx, effect: Effect) -> None:
    match effect:
        case RequestCallback():
            await tx.request_callback(effect)
        case EraseData():
            await tx.erase()
        case ConversationFinished(node=node, outcome=outcome):
            log.info("conversation finished", extra={"node": node, "outcome": outcome})
        case _:  # queries are answered in _step
            pass


async def _tally(tx: TurnTx, before: ConversationState | None, step: Step, *, fresh: bool) -> None:
    """Count the turn in the funnel, in the turn's own transaction (so exactly once)."""
    ends = (e for e in step.effects if isinstance(e, ConversationFinished))
    counts = funnel_counts(
        before, step.state, fresh=fresh, finished=ends, day_of=tx.bookings.local_date
    )
    if counts:
        await tx.tally(counts)


def _reference(state: ConversationState | None) -> str | None:
    return state.answers.get("booking_reference") if state is not None else None


def _locale_of(
    after: ConversationState | None, before: ConversationState | None, engine: Engine
) -> str:
    if after is not None:
        return after.locale
    if before is not None:
        return before.locale
    return engine.normalise_locale(None)

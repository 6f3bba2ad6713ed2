"""The conversation service with the in-memory store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import pytest

from dialogs.engine import Engine
from dialogs.events import CommandGiven, Event, NonTextReceived, OptionChosen, TextEntered
from dialogs.i18n import SourceLanguage
from dialogs.memory import MemoryStore
from dialogs.ports import ConversationKey, ConversationStore, TurnTx
from dialogs.replies import RequestCallback
from dialogs.service import ConversationService, Turn
from dialogs.state import ConversationState

KEY = ConversationKey("telegram", "1001")
OTHER = ConversationKey("widget", "s-2002")


@dataclass
class SlowStore:
    """A memory store that yields to the event loop inside every turn, as a database would."""

    memory: MemoryStore

    @asynccontextmanager
    async def turn(self, key: ConversationKey) -> AsyncIterator[TurnTx]:
        async with self.memory.turn(key) as tx:
            await asyncio.sleep(0)
            yield tx
            await asyncio.sleep(0)

    async def get(self, key: ConversationKey) -> ConversationState | None:
        return await self.memory.get(key)


@dataclass
class Setup:
    service: ConversationService
    store: MemoryStore

    async def say(self, *events: Event | str, key: ConversationKey = KEY) -> Turn:
        """Send events (a plain string is typed text) one after the other."""
        turn = None
        for event in events:
            turn = await self.service.handle(
                key, TextEntered(event) if isinstance(event, str) else event
            )
        assert turn is not None
        return turn

    async def node(self, key: ConversationKey = KEY) -> str:
        state = await self.store.get(key)
        assert state is not None
        return state.node


def make_setup(engine: Engine, now: datetime, *, slow: bool = False) -> Setup:
    memory = MemoryStore()
    store: ConversationStore = SlowStore(memory) if slow else memory
    service = ConversationService(engine, store, SourceLanguage(), clock=lambda: now)
    return Setup(service, memory)


def callbacks(setup: Setup, key: ConversationKey = KEY) -> list[RequestCallback]:
    return list(setup.store.callbacks.get(key, []))


@pytest.fixture
def setup(engine: Engine, now: datetime) -> Setup:
    return make_setup(engine, now)


def option_ids(turn: Turn) -> list[str]:
    return [o.id for o in turn.messages[-1].options]


async def test_start_saves_state_and_greets(setup: Setup) -> None:
    turn = await setup.service.start(KEY, locale="en-GB", source="telegram")
    assert KEY in setup.store.rows
    state = await setup.service.state(KEY)
    assert state is not None
    assert state.node == "choose_language"
    assert state.source == "telegram"
    assert turn.locale == "en"
    assert not turn.ended
    assert "112" in turn.messages[0].text
    assert "0800-9009" in turn.messages[0].text
    assert [o.label for o in turn.messages[-1].options][:2] == ["Nederlands", "English"]


async def test_a_turn_saves_the_new_state(setup: Setup) -> None:
    await setup.service.start(KEY)
    await setup.say(OptionChosen("lang:pl"))
    state = await setup.service.state(KEY)
    assert state is not None
    assert state.node == "privacy"
    assert state.locale == "pl"


async def test_a_redelivered_event_changes_nothing_and_shows_the_question_again(
    setup: Setup,
) -> None:
    await setup.service.start(KEY)
    first = await setup.service.handle(KEY, OptionChosen("lang:pl"), once="telegram:7")
    saved = await setup.service.state(KEY)
    again = await setup.service.handle(KEY, OptionChosen("lang:pl"), once="telegram:7")
    assert again.duplicate and not first.duplicate
    assert await setup.service.state(KEY) == saved
    current = await setup.service.current(KEY)
    assert current is not None and again.messages == current.messages
    assert [o.label for o in again.messages[-1].options] == [
        o.label for o in first.messages[-1].options
    ]


async def test_a_redelivered_event_of_an_erased_conversation_shows_nothing(setup: Setup) -> None:
    await setup.service.start(KEY)
    await setup.service.handle(KEY, CommandGiven("erase"), once="telegram:8")
    again = await setup.service.handle(KEY, CommandGiven("erase"), once="telegram:8")
    assert again.duplicate and again.messages == () and again.ended
    assert await setup.service.state(KEY) is None


async def test_typed_text_is_understood(setup: Setup) -> None:
    await setup.service.start(KEY)
    await setup.say("nederlands", "Akkoord!")
    assert await setup.node() == "safety_gas"
    turn = await setup.say("NEE")
    assert await setup.node() == "safety_medical"
    assert turn.messages[-1].text.startswith("Vraag 2 van 8")
    state = await setup.service.state(KEY)
    assert state is not None
    assert state.answers["gas_danger"] == "no"


async def test_typed_command_is_understood(setup: Setup) -> None:
    await setup.service.start(KEY)
    await setup.say("nederlands", "akkoord", "nee")
    await setup.say("terug")
    assert await setup.node() == "safety_gas"


async def test_typed_postcode_reaches_the_validator(setup: Setup) -> None:
    await setup.service.start(KEY)
    await setup.say("nederlands", "akkoord", "nee", "nee", "ik ben afgesloten", "gas")
    assert await setup.node() == "location"
    turn = await setup.say("1315ab 12")
    assert await setup.node() == "supplier"
    state = await setup.service.state(KEY)
    assert state is not None
    assert state.answers["postcode"] == "1315 AB"
    assert option_ids(turn)[0] == "supplier:vattenfall"


async def test_non_text_is_answered(setup: Setup) -> None:
    await setup.service.start(KEY)
    turn = await setup.say(NonTextReceived("sticker"))
    assert "tekst" in turn.messages[0].text
    assert option_ids(turn)[0] == "lang:nl"


async def _ask_for_a_callback(setup: Setup, key: ConversationKey = KEY) -> Turn:
    await setup.service.start(key)
    await setup.say("nederlands", "akkoord", "nee", "ja", key=key)
    await setup.say("medewerker", key=key)
    assert await setup.node(key) == "person_phone"
    await setup.say("06 12 34 56 78", key=key)
    return await setup.say(OptionChosen("callback_time:morning"), key=key)


async def test_callback_request_is_kept_for_caseworkers(setup: Setup) -> None:
    turn = await _ask_for_a_callback(setup)
    assert not turn.ended
    assert await setup.node() == "person_done"
    [request] = callbacks(setup)
    assert request.phone == "+31612345678"
    assert request.part_of_day == "morning"
    assert request.urgent, "someone in the home depends on power for their health"


async def test_erase_command_removes_state_and_callback_requests(setup: Setup) -> None:
    await _ask_for_a_callback(setup)
    await _ask_for_a_callback(setup, OTHER)
    turn = await setup.say("/wis")
    assert turn.erased
    assert turn.ended
    assert "gewist" in turn.messages[0].text
    assert await setup.service.state(KEY) is None
    assert KEY not in setup.store.rows
    assert callbacks(setup) == []
    assert len(callbacks(setup, OTHER)) == 1, "others are untouched"
    assert await setup.service.state(OTHER) is not None


async def test_erase_method_removes_state_and_callback_requests(setup: Setup) -> None:
    await _ask_for_a_callback(setup)
    await _ask_for_a_callback(setup, OTHER)
    assert await setup.service.erase(KEY) is True
    assert await setup.service.state(KEY) is None
    assert callbacks(setup) == []
    assert len(callbacks(setup, OTHER)) == 1
    assert await setup.service.erase(KEY) is False, "nothing left to erase"


async def test_privacy_declined_stores_nothing(setup: Setup) -> None:
    await setup.service.start(KEY)
    turn = await setup.say("nederlands", "niet akkoord")
    assert turn.erased
    assert setup.store.rows == {}
    assert "0800-8115" in turn.messages[0].text


async def test_after_erase_a_message_starts_afresh(setup: Setup) -> None:
    await setup.service.start(KEY)
    await setup.say("nederlands", "/wis")
    turn = await setup.say("hallo")
    assert await setup.node() == "choose_language"
    assert "112" in turn.messages[0].text


async def test_current_returns_the_current_question(setup: Setup) -> None:
    assert await setup.service.current(KEY) is None
    await setup.service.start(KEY)
    last = await setup.say("nederlands", "akkoord", "nee", "nee", "ik ben afgesloten")
    again = await setup.service.current(KEY)
    assert again is not None
    assert again.messages == (last.messages[-1],)
    assert again.locale == "nl"
    assert not again.ended
    assert await setup.node() == "energy", "asking again changes nothing"


async def test_current_after_the_end_shows_the_end(setup: Setup) -> None:
    await setup.service.start(KEY)
    await setup.say("nederlands", "stop")
    again = await setup.service.current(KEY)
    assert again is not None
    assert again.ended
    assert "gestopt" in again.messages[0].text


async def test_stop_ends_but_keeps_state(setup: Setup) -> None:
    await setup.service.start(KEY)
    turn = await setup.say("nederlands", CommandGiven("stop"))
    assert turn.ended
    assert not turn.erased
    state = await setup.service.state(KEY)
    assert state is not None and state.ended


@pytest.mark.parametrize("store_kind", ["memory", "slow"])
async def test_concurrent_turns_for_one_key_both_apply(
    engine: Engine, now: datetime, store_kind: str
) -> None:
    setup = make_setup(engine, now, slow=store_kind == "slow")
    await setup.service.start(KEY)
    await setup.say("nederlands", "akkoord")
    assert await setup.node() == "safety_gas"
    before = await setup.service.state(KEY)
    assert before is not None

    await asyncio.gather(
        setup.service.handle(KEY, OptionChosen("gas:no")),
        setup.service.handle(KEY, OptionChosen("medical:no")),
    )

    state = await setup.service.state(KEY)
    assert state is not None
    assert state.node == "situation", "both answers were applied, one after the other"
    assert state.answers["gas_danger"] == "no"
    assert state.answers["medical"] == "no"
    assert [f.node for f in state.history] == [
        *(f.node for f in before.history),
        "safety_gas",
        "safety_medical",
    ]


async def test_concurrent_turns_for_different_keys_do_not_mix(
    engine: Engine, now: datetime
) -> None:
    setup = make_setup(engine, now, slow=True)
    await asyncio.gather(setup.service.start(KEY), setup.service.start(OTHER, locale="ar"))
    await asyncio.gather(
        setup.service.handle(KEY, OptionChosen("lang:nl")),
        setup.service.handle(OTHER, OptionChosen("lang:tr")),
    )
    mine, theirs = await setup.service.state(KEY), await setup.service.state(OTHER)
    assert mine is not None and theirs is not None
    assert (mine.node, mine.locale) == ("privacy", "nl")
    assert (theirs.node, theirs.locale) == ("privacy", "tr")


async def test_many_concurrent_turns_are_never_lost(engine: Engine, now: datetime) -> None:
    setup = make_setup(engine, now, slow=True)
    await setup.service.start(KEY)
    await setup.say("nederlands", "akkoord", "nee", "nee")
    assert await setup.node() == "situation"
    # Each "?" is not understood and counts; a lost update would lose a count.
    await asyncio.gather(*(setup.service.handle(KEY, TextEntered("?")) for _ in range(10)))
    state = await setup.service.state(KEY)
    assert state is not None
    assert state.node == "situation"
    assert state.misunderstood == 10

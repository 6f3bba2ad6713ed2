"""The funnel counts of single turns, through the real service on the in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime

from dialogs.engine import Engine
from dialogs.events import CommandGiven, OptionChosen
from dialogs.funnel import STARTED
from dialogs.i18n import SourceLanguage
from dialogs.memory import MemoryStore
from dialogs.ports import ConversationKey
from dialogs.service import ConversationService
from dialogs.state import ConversationState

NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
DAY = NOW.date()
KEY = ConversationKey("widget", "resident")


def _service(store: MemoryStore, engine: Engine) -> ConversationService:
    return ConversationService(engine, store, SourceLanguage(), clock=lambda: NOW)


def _counts(store: MemoryStore) -> dict[tuple[str, str], tuple[int, int]]:
    return {
        (node, locale): value
        for (_day, node, locale, _channel, _source), value in store.funnel.nodes.items()
        if value != (0, 0)
    }


async def test_a_language_switch_moves_the_conversation_to_the_new_language(
    engine: Engine,
) -> None:
    store = MemoryStore()
    service = _service(store, engine)
    await service.start(KEY)
    await service.handle(KEY, OptionChosen("lang:en"))
    assert _counts(store) == {
        (STARTED, "nl"): (1, 0),
        ("welcome", "nl"): (1, 0),
        ("choose_language", "nl"): (1, 0),
        ("privacy", "en"): (1, 1),
    }


async def test_starting_over_in_the_same_conversation_reaches_nothing_twice(
    engine: Engine,
) -> None:
    store = MemoryStore()
    service = _service(store, engine)
    await service.start(KEY)
    for option in ("lang:nl", "privacy:agree", "gas:no"):
        await service.handle(KEY, OptionChosen(option))
    await service.handle(KEY, CommandGiven("restart"))
    await service.handle(KEY, OptionChosen("privacy:agree"))
    counts = _counts(store)
    assert counts[(STARTED, "nl")] == (1, 0), "Opnieuw is not a new conversation"
    assert counts[("restart_intro", "nl")] == (1, 0)
    assert counts[("privacy", "nl")] == (1, 0)
    assert counts[("safety_gas", "nl")] == (1, 1)
    assert sum(stopped for _, stopped in counts.values()) == 1


async def test_a_conversation_from_before_the_funnel_is_left_out(engine: Engine) -> None:
    store = MemoryStore()
    old = ConversationState(node="safety_gas", locale="nl", started_at=NOW, updated_at=NOW)
    store.rows[KEY] = old.to_json()
    await _service(store, engine).handle(KEY, OptionChosen("gas:no"))
    assert _counts(store) == {}, "no place was counted for it, so none is taken away"


def _sources(store: MemoryStore) -> dict[str, int]:
    """Conversations started per source."""
    return {
        source: reached
        for (_day, node, _locale, _channel, source), (reached, _) in store.funnel.nodes.items()
        if node == STARTED
    }


async def test_the_source_is_counted_and_kept_by_a_new_conversation_after_the_end(
    engine: Engine,
) -> None:
    store = MemoryStore()
    service = _service(store, engine)
    await service.start(KEY, source="brief_2026_11")
    await service.handle(KEY, CommandGiven("stop"))
    await service.handle(KEY, OptionChosen("lang:nl"))
    assert _sources(store) == {"brief_2026_11": 2}
    assert {key[4] for key in store.funnel.outcomes} == {"brief_2026_11"}


async def test_a_conversation_without_a_source_counts_under_its_channel(engine: Engine) -> None:
    store = MemoryStore()
    old = ConversationState(
        node="privacy", locale="nl", started_at=NOW, updated_at=NOW, seen=("welcome", "privacy")
    )
    store.rows[KEY] = old.to_json()
    await _service(store, engine).handle(KEY, OptionChosen("privacy:agree"))
    assert {key[4] for key in store.funnel.nodes} == {"widget"}
    assert _counts(store) == {("privacy", "nl"): (0, -1), ("safety_gas", "nl"): (1, 1)}

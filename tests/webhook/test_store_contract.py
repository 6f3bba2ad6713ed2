"""One contract for every ConversationStore: in-memory, SQLite file and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.eligibility import decide
from dialogs.engine import Engine
from dialogs.funnel import FunnelCounts, NodeCount, OutcomeCount
from dialogs.memory import MemoryStore
from dialogs.ports import ConversationKey, ConversationStore
from dialogs.replies import RequestCallback
from dialogs.state import ConversationState
from tests.conftest import NOW
from tests.webhook.funnel_scenario import (
    ANNA,
    BORIS,
    CEM,
    DANA,
    KNOWN_NODES,
    KNOWN_OUTCOMES,
    counts_of,
    service_on,
    talk_known_conversations,
)
from webhook.store import SqlConversationStore
from webhook.tables import callback_requests

KEY = ConversationKey("widget", "resident-1")
OTHER = ConversationKey("telegram", "42")


def _state(node: str = "safety_gas", **answers: str) -> ConversationState:
    return ConversationState(
        node=node, locale="nl", started_at=NOW, updated_at=NOW, answers=answers
    )


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> ConversationStore:
    """Sync on purpose: it asks for the async database fixtures outside the running loop."""
    if request.param == "memory":
        return MemoryStore()
    db: AsyncEngine = request.getfixturevalue(f"{request.param}_db")
    return SqlConversationStore(db)


async def _count_callbacks(store: ConversationStore, key: ConversationKey) -> int:
    if isinstance(store, MemoryStore):
        return len(store.callbacks.get(key, []))
    assert isinstance(store, SqlConversationStore)
    return await store.count_callbacks(key)


class TestConversationStoreContract:
    async def test_unknown_key_has_no_state(self, store: ConversationStore) -> None:
        assert await store.get(KEY) is None
        async with store.turn(KEY) as tx:
            assert tx.state is None

    async def test_saved_state_round_trips(self, store: ConversationStore) -> None:
        state = replace(
            _state("supplier", postcode="1315 AB", location="almere"),
            decision=decide({"situation": "cut_off"}),
            source="brief",
        )
        async with store.turn(KEY) as tx:
            await tx.save(state)
        assert await store.get(KEY) == state
        async with store.turn(KEY) as tx:
            assert tx.state == state

    async def test_save_replaces_and_keys_are_separate(self, store: ConversationStore) -> None:
        async with store.turn(KEY) as tx:
            await tx.save(_state("safety_gas"))
        later = replace(_state("energy", situation="cut_off"), updated_at=NOW + timedelta(hours=1))
        async with store.turn(KEY) as tx:
            await tx.save(later)
        async with store.turn(OTHER) as tx:
            await tx.save(_state("privacy"))
        assert await store.get(KEY) == later
        other = await store.get(OTHER)
        assert other is not None and other.node == "privacy"

    async def test_failed_turn_keeps_nothing(self, store: ConversationStore) -> None:
        async with store.turn(KEY) as tx:
            await tx.save(_state("safety_gas"))
        with pytest.raises(RuntimeError):
            async with store.turn(KEY) as tx:
                await tx.save(_state("energy"))
                await tx.request_callback(RequestCallback("+31612345678", "any", False, None))
                raise RuntimeError("crash in the middle of a turn")
        state = await store.get(KEY)
        assert state is not None and state.node == "safety_gas"
        assert await _count_callbacks(store, KEY) == 0

    async def test_erase_removes_state_and_callbacks(self, store: ConversationStore) -> None:
        request = RequestCallback("+31612345678", "morning", True, decide({"situation": "cut_off"}))
        async with store.turn(KEY) as tx:
            await tx.save(_state("person_done"))
            await tx.request_callback(request)
        async with store.turn(OTHER) as tx:
            await tx.save(_state("person_done"))
            await tx.request_callback(request)
        assert await _count_callbacks(store, KEY) == 1
        async with store.turn(KEY) as tx:
            await tx.erase()
        assert await store.get(KEY) is None
        assert await _count_callbacks(store, KEY) == 0
        assert await _count_callbacks(store, OTHER) == 1, "another resident's data stays"

    async def test_concurrent_turns_of_one_resident_never_lose_an_update(
        self, store: ConversationStore
    ) -> None:
        """Each turn reads, waits a little and writes; without the lock most would be lost."""
        async with store.turn(KEY) as tx:
            await tx.save(_state(count="0"))

        async def increment() -> None:
            async with store.turn(KEY) as tx:
                assert tx.state is not None
                current = int(tx.state.answers["count"])
                await asyncio.sleep(0.001)
                await tx.save(replace(tx.state, answers={"count": str(current + 1)}))

        await asyncio.gather(*(increment() for _ in range(20)))
        state = await store.get(KEY)
        assert state is not None and state.answers["count"] == "20"

    async def test_first_turns_racing_for_a_new_resident_are_serialised(
        self, store: ConversationStore
    ) -> None:
        seen: list[bool] = []

        async def first_turn() -> None:
            async with store.turn(KEY) as tx:
                seen.append(tx.state is None)
                await asyncio.sleep(0.001)
                await tx.save(_state())

        await asyncio.gather(first_turn(), first_turn(), first_turn())
        assert seen.count(True) == 1, "only the first turn may see no conversation"

    # -- the funnel ---------------------------------------------------------------------------

    async def test_funnel_counts_known_conversations_exactly(
        self, store: ConversationStore, engine: Engine
    ) -> None:
        await talk_known_conversations(service_on(store, engine))
        assert await counts_of(store) == (KNOWN_NODES, KNOWN_OUTCOMES)

    async def test_tally_adds_to_the_counters_of_the_turns_channel_and_source(
        self, store: ConversationStore
    ) -> None:
        day = NOW.date()
        move = FunnelCounts((NodeCount(day, "privacy", "nl", 1, 1),))
        on = FunnelCounts(
            (NodeCount(day, "privacy", "nl", 0, -1), NodeCount(day, "safety_gas", "nl", 1, 1)),
            (OutcomeCount(day, "eligible", "nl"), OutcomeCount(day, "eligible", "nl")),
        )
        flyer = FunnelCounts(
            (NodeCount(day, "privacy", "nl", 1, 1, "flyer"),),
            (OutcomeCount(day, "eligible", "nl", "flyer"),),
        )
        odd = FunnelCounts((NodeCount(day, "privacy", "nl", 1, 1, "x" * 65),))
        for counts in (move, on, flyer, odd):
            async with store.turn(KEY) as tx:
                await tx.tally(counts)
        async with store.turn(OTHER) as tx:
            await tx.tally(move)
        nodes, outcomes = await counts_of(store)
        assert nodes == {
            (day, "privacy", "nl", "widget", "widget"): (2, 1),
            (day, "safety_gas", "nl", "widget", "widget"): (1, 1),
            (day, "privacy", "nl", "widget", "flyer"): (1, 1),
            (day, "privacy", "nl", "telegram", "telegram"): (1, 1),
        }, "no source: the channel's name; an unsound one too (it never reaches a column)"
        assert outcomes == {
            (day, "eligible", "nl", "widget", "widget"): 2,
            (day, "eligible", "nl", "widget", "flyer"): 1,
        }

    async def test_failed_turn_counts_nothing(self, store: ConversationStore) -> None:
        with pytest.raises(RuntimeError):
            async with store.turn(KEY) as tx:
                await tx.tally(FunnelCounts((NodeCount(NOW.date(), "privacy", "nl", 1, 1),)))
                raise RuntimeError("crash in the middle of a turn")
        assert await counts_of(store) == ({}, {})

    async def test_erasure_leaves_the_counts(
        self, store: ConversationStore, engine: Engine
    ) -> None:
        service = service_on(store, engine)
        await talk_known_conversations(service)
        for key in (ANNA, BORIS, CEM, DANA):
            await service.erase(key)
            assert await store.get(key) is None
        assert await counts_of(store) == (KNOWN_NODES, KNOWN_OUTCOMES)


async def test_callback_row_holds_the_decision_but_no_answers(sqlite_db: AsyncEngine) -> None:
    store = SqlConversationStore(sqlite_db)
    decision = decide({"situation": "cut_off", "medical": "yes"})
    async with store.turn(KEY) as tx:
        await tx.save(_state("person_time"))
        await tx.request_callback(RequestCallback("+31612345678", "afternoon", True, decision))
    async with sqlite_db.connect() as connection:
        row = (await connection.execute(select(callback_requests))).one()
        total = await connection.scalar(select(func.count()).select_from(callback_requests))
    assert total == 1
    assert (row.phone, row.part_of_day, row.urgent) == ("+31612345678", "afternoon", True)
    assert row.outcome == decision.outcome and row.rule_version == decision.rule_version
    assert "medical" in row.reasons

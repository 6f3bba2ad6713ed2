"""Whole conversations, written as transcripts in ``tests/transcripts/*.yaml``.

Each runs through the real service with the SQLite store, the built-in tree and an agenda
made from a weekly schedule (``agenda: {from_day: N}`` starts it N days later). A step
starts the conversation (``start: <locale>``), presses a button (``press: <option id>``),
presses the n-th button offered last (``pick: n``) or types (``say: <text>``); ``expect``
lists texts the bot's answer must contain, ``absent`` texts it must not, ``options`` the ids
of the buttons offered last. ``result`` checks the stored conversation at the end, and
``bookings`` the booking rows (status per row).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.engine import Engine
from dialogs.events import Event, OptionChosen, TextEntered
from dialogs.i18n import SourceLanguage
from dialogs.ports import ConversationKey
from dialogs.service import ConversationService, Turn
from tests.conftest import NOW
from webhook.booking import slots
from webhook.booking.config import BookingConfig
from webhook.db import writer
from webhook.settings import ScheduleSettings
from webhook.store import SqlConversationStore
from webhook.tables import bookings

TRANSCRIPTS = sorted((Path(__file__).parent.parent / "transcripts").glob("*.yaml"))
KEY = ConversationKey("test", "resident")


def _event(step: dict[str, Any], last: Turn | None) -> Event:
    if "press" in step:
        return OptionChosen(step["press"])
    if "pick" in step:
        assert last is not None
        return OptionChosen(last.messages[-1].options[step["pick"] - 1].id)
    return TextEntered(step["say"])


SCHEDULE = ScheduleSettings(
    hours=["09:00-12:00"], intake_minutes=60, office_address="Voorbeeldplein 2"
)


async def _store(db: AsyncEngine, agenda: dict[str, int]) -> SqlConversationStore:
    config = BookingConfig(schedule=SCHEDULE, staff_targets=("staff_webhook",))
    first = NOW.date() + timedelta(days=agenda.get("from_day", 0))
    async with writer(db).begin() as connection:
        await slots.materialise(
            connection, config, first=first, last=first + timedelta(days=10), now=NOW
        )
    return SqlConversationStore(db, config)


async def _check_bookings(db: AsyncEngine, expected: list[str]) -> None:
    async with db.connect() as connection:
        statuses = (
            await connection.execute(select(bookings.c.status).order_by(bookings.c.id))
        ).scalars()
        assert list(statuses) == expected


def _check_turn(turn: Turn, step: dict[str, Any], number: int) -> None:
    said = "\n".join(
        "\n".join([m.text, *(f"[{o.label}]" for o in m.options)]) for m in turn.messages
    )
    for text in step.get("expect", []):
        assert text in said, f"step {number}: {text!r} not in the answer:\n{said}"
    for text in step.get("absent", []):
        assert text not in said, f"step {number}: {text!r} should not be in:\n{said}"
    if "options" in step:
        offered = [o.id for o in turn.messages[-1].options]
        assert offered == step["options"], f"step {number}"


async def _check_result(store: SqlConversationStore, result: dict[str, Any]) -> None:
    state = await store.get(KEY)
    if result.get("stored") is False:
        assert state is None, "nothing of this conversation may be kept"
    else:
        assert state is not None
        decision = state.decision
        if "outcome" in result:
            assert decision is not None and decision.outcome == result["outcome"]
            assert decision.rule_version
        if "urgent" in result:
            assert decision is not None and decision.urgent is result["urgent"]
        for field in ("node", "ended", "locale"):
            if field in result:
                assert getattr(state, field) == result[field], field
        if "answers" in result:
            expected = result["answers"]
            if expected == {}:
                assert dict(state.answers) == {}
            for key, value in expected.items():
                assert state.answers.get(key) == value, key
    if "callbacks" in result:
        assert await store.count_callbacks(KEY) == result["callbacks"]


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
async def test_transcript(path: Path, sqlite_db: AsyncEngine, engine: Engine) -> None:
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    store = await _store(sqlite_db, script.get("agenda", {}))
    service = ConversationService(engine, store, SourceLanguage(), clock=lambda: NOW)
    turn: Turn | None = None
    for number, step in enumerate(script["steps"], start=1):
        if "start" in step:
            turn = await service.start(KEY, locale=step["start"], source="test")
        else:
            turn = await service.handle(KEY, _event(step, turn))
        _check_turn(turn, step, number)
    await _check_result(store, script.get("result", {}))
    if "bookings" in script:
        await _check_bookings(sqlite_db, script["bookings"])


def test_every_outcome_has_a_transcript() -> None:
    outcomes = {
        yaml.safe_load(p.read_text(encoding="utf-8")).get("result", {}).get("outcome")
        for p in TRANSCRIPTS
    }
    from dialogs.eligibility import OUTCOMES

    assert set(OUTCOMES) <= outcomes

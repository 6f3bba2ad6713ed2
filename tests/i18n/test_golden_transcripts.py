"""A whole conversation, to a booked intake, in every language: compared with a golden file.

The files in ``tests/golden/`` are what a resident reads, message by message (buttons in
brackets). Run with ``WEERAAN_UPDATE_GOLDEN=1`` to write them anew after a deliberate change,
then read the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dialogs.engine import Engine
from dialogs.events import Event, OptionChosen, TextEntered
from dialogs.i18n import DEFAULT_LOCALES_DIR, Catalogs
from dialogs.languages import DEFAULT_LANGUAGES
from dialogs.memory import MemoryStore
from dialogs.model import Tree
from dialogs.ports import ConversationKey
from dialogs.service import ConversationService, Turn
from dialogs.testing import agenda_with_slots
from tests.conftest import NOW

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
KEY = ConversationKey("test", "golden")
PICK_FIRST = "<first offered>"
SCRIPT: list[str | Event] = [
    "privacy:agree", "gas:no", "medical:yes", "situation:cut_off", "energy:gas",
    TextEntered("1315 AB 12"), "supplier:vattenfall", "debt:explain", "debt:yes",
    "budget:yes", "eligible:book", "mode:office", PICK_FIRST, PICK_FIRST,
    TextEntered("Fatima de Vries"), TextEntered("06 12345678"), "email:skip",
    "summary:confirm",
]  # fmt: skip


def _render(turn: Turn) -> str:
    lines = []
    for message in turn.messages:
        lines.append(message.text)
        lines.extend(f"  [{option.label}]" for option in message.options)
        lines.append("")
    return "\n".join(lines)


async def transcript(language: str, tree: Tree) -> str:
    store = MemoryStore(agenda=agenda_with_slots(NOW))
    catalogs = Catalogs(DEFAULT_LOCALES_DIR, DEFAULT_LANGUAGES)
    service = ConversationService(Engine(tree), store, catalogs, clock=lambda: NOW)
    turn = await service.start(KEY, locale=language)
    parts = [_render(turn)]
    for step in [f"lang:{language}", *SCRIPT]:
        if step == PICK_FIRST:
            event: Event = OptionChosen(turn.messages[-1].options[0].id)
        elif isinstance(step, str):
            event = OptionChosen(step)
        else:
            event = step
        shown = step if isinstance(step, str) else f"text: {step.text}"  # type: ignore[union-attr]
        turn = await service.handle(KEY, event)
        parts += [f"> {shown}", "", _render(turn)]
    return "\n".join(parts)


@pytest.mark.parametrize("language", DEFAULT_LANGUAGES)
async def test_golden_transcript(language: str, tree: Tree) -> None:
    got = await transcript(language, tree)
    path = GOLDEN / f"{language}.txt"
    if os.environ.get("WEERAAN_UPDATE_GOLDEN") == "1":
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with WEERAAN_UPDATE_GOLDEN=1"
    assert got == path.read_text(encoding="utf-8")
    assert "WA-M001" in got, "the conversation reaches a booked intake"


@pytest.mark.parametrize("language", [code for code in DEFAULT_LANGUAGES if code != "nl"])
async def test_no_dutch_line_is_left_in_a_translated_transcript(language: str, tree: Tree) -> None:
    dutch = {line for line in (await transcript("nl", tree)).splitlines() if len(line) > 12}
    translated = (await transcript(language, tree)).splitlines()
    allowed = {"  [Nederlands]", "Fatima de Vries"}
    left = [line for line in translated if line in dutch and line not in allowed]
    left = [line for line in left if not line.startswith(("> ", "  [", "Fatima"))]
    assert left == [], "these lines are still Dutch"

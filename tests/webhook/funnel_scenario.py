"""A known set of conversations, run through the real service, and the funnel counts they
must leave (on the fixed clock ``NOW``: every count is on its day)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Final

from sqlalchemy import select

from dialogs.engine import Engine
from dialogs.events import CommandGiven, OptionChosen, TextEntered
from dialogs.funnel import STARTED
from dialogs.i18n import SourceLanguage
from dialogs.memory import MemoryStore
from dialogs.ports import ConversationKey, ConversationStore
from dialogs.service import ConversationService
from tests.conftest import NOW
from webhook.store import SqlConversationStore
from webhook.tables import funnel_nodes, funnel_outcomes

DAY: Final = NOW.date()
ANNA: Final = ConversationKey("widget", "anna")
BORIS: Final = ConversationKey("telegram", "1001")
CEM: Final = ConversationKey("widget", "cem")
DANA: Final = ConversationKey("telegram", "1002")
POSTER: Final = "poster"
LETTER: Final = "brief_2026_11"

NodeCounts = dict[tuple[date, str, str, str, str], tuple[int, int]]
OutcomeCounts = dict[tuple[date, str, str, str, str], int]


KNOWN_NODES: Final[NodeCounts] = {
    # Anna (widget, from a letter's link: source brief_2026_11): three questions, Terug and
    # the same answer again, Hulp: still at safety_medical. Cem (widget, no source): stops at
    # the language question, then writes again, which starts a second conversation.
    (DAY, STARTED, "nl", "widget", LETTER): (1, 0),
    (DAY, "welcome", "nl", "widget", LETTER): (1, 0),
    (DAY, "choose_language", "nl", "widget", LETTER): (1, 0),
    (DAY, "privacy", "nl", "widget", LETTER): (1, 0),
    (DAY, "safety_gas", "nl", "widget", LETTER): (1, 0),
    (DAY, "safety_medical", "nl", "widget", LETTER): (1, 1),
    (DAY, "help_info", "nl", "widget", LETTER): (1, 0),
    (DAY, STARTED, "nl", "widget", "widget"): (2, 0),
    (DAY, "welcome", "nl", "widget", "widget"): (2, 0),
    (DAY, "choose_language", "nl", "widget", "widget"): (2, 1),
    (DAY, "stopped", "nl", "widget", "widget"): (1, 1),
    # Boris (Telegram, /start poster, English): declines the privacy terms, so his
    # conversation is erased. Dana (Telegram, /start poster): stops at the language question.
    (DAY, STARTED, "en", "telegram", POSTER): (1, 0),
    (DAY, "welcome", "en", "telegram", POSTER): (1, 0),
    (DAY, "choose_language", "en", "telegram", POSTER): (1, 0),
    (DAY, "privacy", "en", "telegram", POSTER): (1, 0),
    (DAY, "privacy_declined", "en", "telegram", POSTER): (1, 1),
    (DAY, STARTED, "nl", "telegram", POSTER): (1, 0),
    (DAY, "welcome", "nl", "telegram", POSTER): (1, 0),
    (DAY, "choose_language", "nl", "telegram", POSTER): (1, 0),
    (DAY, "stopped", "nl", "telegram", POSTER): (1, 1),
}
KNOWN_OUTCOMES: Final[OutcomeCounts] = {
    (DAY, "none", "nl", "widget", "widget"): 1,
    (DAY, "none", "en", "telegram", POSTER): 1,
    (DAY, "none", "nl", "telegram", POSTER): 1,
}
KNOWN_SOURCES: Final = {POSTER: (2, 2), "widget": (2, 1), LETTER: (1, 0)}
"""Per source: conversations started, ends reached."""


def service_on(store: ConversationStore, engine: Engine) -> ConversationService:
    return ConversationService(engine, store, SourceLanguage(), clock=lambda: NOW)


async def talk_known_conversations(service: ConversationService) -> None:
    await service.start(ANNA, source=LETTER)
    for event in (
        OptionChosen("lang:nl"),
        OptionChosen("privacy:agree"),
        OptionChosen("gas:no"),
        CommandGiven("back"),
        OptionChosen("gas:no"),
        CommandGiven("help"),
    ):
        await service.handle(ANNA, event)
    await service.start(BORIS, locale="en", source=POSTER)
    update = f"telegram:{uuid.uuid4().hex}"  # handled tokens outlive a test on PostgreSQL
    first = await service.handle(BORIS, OptionChosen("lang:en"), once=update)
    again = await service.handle(BORIS, OptionChosen("lang:en"), once=update)
    assert not first.duplicate and again.duplicate, "a redelivered update is a no-op"
    assert (await service.handle(BORIS, OptionChosen("privacy:decline"))).erased
    await service.start(CEM)
    await service.handle(CEM, CommandGiven("stop"))
    await service.handle(CEM, TextEntered("hallo"))
    await service.start(DANA, source=POSTER)
    await service.handle(DANA, CommandGiven("stop"))


async def counts_of(store: ConversationStore) -> tuple[NodeCounts, OutcomeCounts]:
    """Every non-zero counter of ``store``'s funnel."""
    if isinstance(store, MemoryStore):
        nodes, outcomes = store.funnel.nodes, store.funnel.outcomes
    else:
        assert isinstance(store, SqlConversationStore)
        async with store.engine.connect() as connection:
            n, o = funnel_nodes.c, funnel_outcomes.c
            node_rows = await connection.execute(
                select(n.day, n.node, n.locale, n.channel, n.source, n.reached, n.stopped)
            )
            nodes = {(r[0], r[1], r[2], r[3], r[4]): (r[5], r[6]) for r in node_rows}
            outcome_rows = await connection.execute(
                select(o.day, o.outcome, o.locale, o.channel, o.source, o.finished)
            )
            outcomes = {(r[0], r[1], r[2], r[3], r[4]): r[5] for r in outcome_rows}
    return (
        {key: value for key, value in nodes.items() if value != (0, 0)},
        {key: value for key, value in outcomes.items() if value},
    )

"""The conversation engine, driven directly with events (PRODUCT.md §2)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogs.eligibility import REASON_TEXTS, decide
from dialogs.engine import Engine, Step
from dialogs.events import (
    CommandGiven,
    Event,
    NonTextReceived,
    OptionChosen,
    Started,
    TextEntered,
)
from dialogs.i18n import SourceLanguage
from dialogs.languages import LANGUAGE_NAMES
from dialogs.loader import load_tree
from dialogs.model import (
    RETURN,
    CommandName,
    EndNode,
    InputNode,
    LanguageNode,
    OfferNode,
    Tree,
    WaitingNode,
)
from dialogs.render import render_replies
from dialogs.replies import ConversationFinished, EraseData, Reply, RequestCallback
from dialogs.state import ConversationState
from dialogs.testing import SettlingEngine, agenda_with_slots
from dialogs.text import Bullets, Msg, Verbatim

COMMANDS: tuple[CommandName, ...] = get_args(CommandName)
_TREE = load_tree()
WAITING_NODES = sorted(n.id for n in _TREE.nodes.values() if isinstance(n, WaitingNode))
ALL_OPTION_IDS = sorted(
    {o.id for n in _TREE.nodes.values() for o in getattr(n, "options", ())}
    | {f"lang:{code}" for code in LANGUAGE_NAMES}
    | {f"cmd:{name}" for name in COMMANDS}
)
DETOUR_NODES = ("person_phone", "person_time", "person_done", "switch_language")
ONLY_IN_DETOURS = (
    "switch_language",
    "appointment_show",
    "appointment_cancel_check",
    "no_appointment",
    "move_summary",
)
QUESTIONS = [
    *(n for n in WAITING_NODES if n not in ONLY_IN_DETOURS),
    *(f"{n}+detour" for n in sorted({*DETOUR_NODES, *ONLY_IN_DETOURS})),
]
"""Every waiting node; the call-back and language questions also as a detour."""
SAMPLE_INPUT = {
    "postcode": "1315 AB 12",
    "phone": "06 12345678",
    "email": "jan@example.nl",
    "name": "Fatima de Vries",
    "text": "Jan",
}

# -- helpers --------------------------------------------------------------------------------


def msgids(replies: Iterable[Reply]) -> list[str]:
    """Every msgid (and verbatim text) the replies say, in order, bullets included."""
    found: list[str] = []
    for reply in replies:
        for part in reply.parts:
            match part:
                case Msg():
                    found.append(part.msgid)
                case Verbatim():
                    found.append(part.text)
                case Bullets():
                    found.extend(item.msgid for item in part.items)
    return found


def shown(step: Step) -> str:
    """Everything the resident reads, rendered in Dutch."""
    return "\n\n".join(m.text for m in render_replies(step.replies, "nl", SourceLanguage()))


def text_of(engine: Engine, node_id: str) -> str:
    """The (first) text of a node: what the resident reads when it is shown."""
    text = getattr(engine.tree.nodes[node_id], "text", None)
    assert isinstance(text, str)
    return text


def button_ids(reply: Reply) -> list[str]:
    return [b.id for b in reply.buttons]


def effects_of(step: Step, kind: type) -> list[object]:
    return [e for e in step.effects if isinstance(e, kind)]


class Talk:
    """One resident talking to the engine; keeps the state between steps."""

    def __init__(self, engine: Engine, now: datetime) -> None:
        self.engine = engine
        self.now = now
        self.state: ConversationState | None = None
        self.last: Step | None = None

    def __call__(self, *events: Event) -> Step:
        for event in events:
            self.last = self.engine.step(self.state, event, now=self.now)
            self.state = self.last.state
        assert self.last is not None
        return self.last

    @property
    def at(self) -> str:
        assert self.state is not None
        return self.state.node

    @property
    def answers(self) -> dict[str, str]:
        assert self.state is not None
        return dict(self.state.answers)


def choose(*option_ids: str) -> list[Event]:
    return [OptionChosen(option_id) for option_id in option_ids]


TO_SITUATION: list[Event] = [
    Started(),
    *choose("lang:nl", "privacy:agree", "gas:no", "medical:no"),
]
TO_SUPPLIER: list[Event] = [
    *TO_SITUATION,
    *choose("situation:cut_off", "energy:electricity"),
    TextEntered("1315 AB 12"),
]
TO_ELIGIBLE: list[Event] = [*TO_SUPPLIER, *choose("supplier:vattenfall", "debt:yes", "budget:yes")]


@pytest.fixture
def talk(engine: Engine, now: datetime) -> Talk:
    return Talk(engine, now)


def assert_sensible(engine: Engine, step: Step) -> None:
    """Where any step may leave a conversation: erased, ended at an end, or at a question."""
    assert step.replies, "every step says something"
    erased = any(isinstance(e, EraseData) for e in step.effects)
    assert (step.state is None) == erased
    state = step.state
    if state is None:
        return
    node = engine.tree.nodes[state.node]
    assert isinstance(node, EndNode) == state.ended
    if not state.ended:
        assert isinstance(node, WaitingNode)
        assert step.replies[-1].buttons == engine.buttons(state), "the question is asked"
    assert state.return_to is None or state.return_to in engine.tree.nodes
    assert all(frame.node in engine.tree.nodes for frame in state.history)
    assert ConversationState.from_json(state.to_json()) == state


# -- start ----------------------------------------------------------------------------------


def test_start_says_welcome_with_the_safety_line(talk: Talk) -> None:
    step = talk(Started())
    text = shown(step)
    assert "chatbot" in text
    assert "112" in text
    assert "0800-9009" in text
    assert talk.at == "choose_language"
    assert talk.answers == {}
    assert not step.effects


def test_start_offers_each_language_in_its_own_name(talk: Talk) -> None:
    step = talk(Started())
    question = render_replies(step.replies, "nl", SourceLanguage())[-1]
    labels = {option.id: option.label for option in question.options}
    assert labels == {
        "lang:nl": "Nederlands",
        "lang:en": "English",
        "lang:uk": "Українська",
        "lang:tr": "Türkçe",
        "lang:ar": "العربية",
        "lang:pl": "Polski",
    }
    assert all(isinstance(b.label, Verbatim) for b in step.replies[-1].buttons)


def test_start_offers_only_the_configured_languages(tree: Tree, now: datetime) -> None:
    step = Engine(tree, ["nl", "ar"]).step(None, Started("fr"), now=now)
    assert button_ids(step.replies[-1]) == ["lang:nl", "lang:ar"]
    assert step.state is not None
    assert step.state.locale == "nl", "an unoffered language falls back to Dutch"


def test_engine_refuses_a_language_without_a_name(tree: Tree) -> None:
    with pytest.raises(ValueError, match="xx"):
        Engine(tree, ["nl", "xx"])


@pytest.mark.parametrize(("given", "locale"), [("en-GB", "en"), ("ar_EG", "ar"), (None, "nl")])
def test_start_locale_is_normalised(talk: Talk, given: str | None, locale: str) -> None:
    talk(Started(given, source="widget"))
    assert talk.state is not None
    assert talk.state.locale == locale
    assert talk.state.source == "widget"


def test_choosing_a_language_sets_it_and_asks_privacy(talk: Talk) -> None:
    step = talk(Started(), OptionChosen("lang:uk"))
    assert talk.state is not None
    assert talk.state.locale == "uk"
    assert talk.at == "privacy"
    assert button_ids(step.replies[-1]) == ["privacy:agree", "privacy:more", "privacy:decline"]


# -- the main paths -------------------------------------------------------------------------


def test_happy_path_to_eligible(talk: Talk, now: datetime) -> None:
    step = talk(*TO_SITUATION)
    assert talk.at == "situation"
    assert shown(step).startswith("Vraag 3 van 8")

    talk(*TO_ELIGIBLE[len(TO_SITUATION) :])
    assert talk.at == "eligible"
    assert talk.answers == {
        "consent": "yes",
        "gas_danger": "no",
        "medical": "no",
        "situation": "cut_off",
        "energy": "electricity",
        "postcode": "1315 AB",
        "location": "almere",
        "house_number": "12",
        "supplier": "vattenfall",
        "debt_help": "yes",
        "budget": "yes",
    }
    assert talk.state is not None
    decision = talk.state.decision
    assert decision is not None
    assert decision.outcome == "eligible"
    assert decision.urgent, "a resident who is cut off is urgent"
    assert talk.state.updated_at == now


def test_eligible_outcome_is_explained_with_its_reasons(talk: Talk) -> None:
    step = talk(*TO_ELIGIBLE)
    said = msgids(step.replies)
    assert talk.state is not None and talk.state.decision is not None
    for code in talk.state.decision.reasons:
        assert REASON_TEXTS[code] in said
    assert talk.engine.tree.messages["reasons_intro"] in said
    assert button_ids(step.replies[-1]) == ["eligible:book", "eligible:stop"]


def test_budgetbeheer_is_explained_before_it_is_asked(talk: Talk) -> None:
    step = talk(*TO_SUPPLIER, *choose("supplier:vattenfall", "debt:yes"))
    assert talk.at == "budget"
    said = msgids(step.replies)
    intro, budget = text_of(talk.engine, "budget_intro"), text_of(talk.engine, "budget")
    assert "budgetbeheer" in intro.lower()
    assert said.index(intro) < said.index(budget)


def test_no_free_slot_makes_an_urgent_callback_request(tree: Tree, now: datetime) -> None:
    talk = Talk(SettlingEngine(Engine(tree), agenda_with_slots(now, days=0)), now)
    talk(*TO_ELIGIBLE, OptionChosen("eligible:book"), OptionChosen("mode:office"))
    assert talk.at == "appointment_phone", "no free day: a caseworker calls instead"
    step = talk(TextEntered("06-12345678"), OptionChosen("appointment_time:morning"))
    assert talk.at == "appointment_done"
    assert talk.state is not None and talk.state.ended
    [request] = effects_of(step, RequestCallback)
    assert isinstance(request, RequestCallback)
    assert request.phone == "+31612345678"
    assert request.part_of_day == "morning"
    assert request.urgent
    assert request.decision is not None and request.decision.outcome == "eligible"
    assert ConversationFinished("appointment_done", "eligible") in step.effects


def test_letter_path_skips_budgetbeheer_and_gives_prevention(talk: Talk) -> None:
    step = talk(
        *TO_SITUATION,
        *choose("situation:letter", "energy:gas"),
        TextEntered("1334ab"),
        *choose("supplier:other", "debt:already"),
    )
    assert talk.at == "prevention"
    assert "budget" not in talk.answers
    assert talk.state is not None and talk.state.decision is not None
    assert not talk.state.decision.urgent
    said = msgids(step.replies)
    assert text_of(talk.engine, "budget_intro") not in said
    assert text_of(talk.engine, "budget") not in said


def test_medical_dependency_is_explained_and_makes_it_urgent(talk: Talk) -> None:
    step = talk(Started(), *choose("lang:nl", "privacy:agree", "gas:no", "medical:yes"))
    assert talk.at == "situation", "the conversation continues"
    assert "arts" in shown(step) and "verklaring" in shown(step)
    talk(*choose("situation:arrears", "energy:both"), TextEntered("1315 AB"))
    talk(*choose("supplier:vattenfall", "debt:yes"))
    assert talk.at == "prevention"
    assert talk.state is not None and talk.state.decision is not None
    assert talk.state.decision.urgent
    assert "medical" in talk.state.decision.reasons


@pytest.mark.parametrize(
    "where", [TextEntered("1234 AB"), TextEntered("3891 ab 7"), OptionChosen("location:outside")]
)
def test_outside_almere(talk: Talk, where: Event) -> None:
    step = talk(*TO_SITUATION, *choose("situation:letter", "energy:gas"), where)
    assert talk.at == "outside_almere"
    assert "0800-8115" in shown(step)
    assert "outside:person" in button_ids(step.replies[-1])


def test_invalid_postcode_explains_and_asks_again(talk: Talk) -> None:
    talk(*TO_SITUATION, *choose("situation:cut_off", "energy:gas"))
    step = talk(TextEntered("weet ik niet"))
    assert talk.at == "location"
    assert "postcode" not in talk.answers
    location = talk.engine.tree.nodes["location"]
    assert isinstance(location, InputNode)
    assert location.invalid in msgids(step.replies)
    assert step.replies[-1].input == "postcode"
    assert "location:outside" in button_ids(step.replies[-1])


def test_situation_other_explains_outage_and_offers_a_person(talk: Talk) -> None:
    step = talk(*TO_SITUATION, OptionChosen("situation:other"))
    assert talk.at == "situation_other"
    assert "0800-9009" in shown(step)
    assert "other:person" in button_ids(step.replies[-1])


def test_gas_smell_is_an_emergency_and_ends(talk: Talk) -> None:
    step = talk(Started(), *choose("lang:nl", "privacy:agree", "gas:yes"))
    assert talk.at == "emergency"
    assert talk.state is not None and talk.state.ended
    text = shown(step)
    assert "112" in text
    assert "0800-9009" in text
    assert not step.replies[-1].buttons, "nothing else is asked"
    assert ConversationFinished("emergency", "emergency") in step.effects


def test_privacy_declined_keeps_nothing(talk: Talk) -> None:
    step = talk(Started(), *choose("lang:nl", "privacy:decline"))
    assert step.state is None
    assert EraseData() in step.effects
    text = shown(step)
    assert "0800-8115" in text, "contact routes are given"
    assert "112" in text


def test_privacy_more_explains_and_asks_again(talk: Talk) -> None:
    step = talk(Started(), *choose("lang:nl", "privacy:more"))
    assert talk.at == "privacy"
    assert "90 dagen" in shown(step)
    assert button_ids(step.replies[-1]) == ["privacy:agree", "privacy:more", "privacy:decline"]


# -- back, restart, language ----------------------------------------------------------------


def test_back_restores_the_previous_question_and_undoes_its_answer(talk: Talk) -> None:
    talk(*TO_SUPPLIER)
    assert talk.at == "supplier"
    step = talk(CommandGiven("back"))
    assert talk.at == "location"
    for key in ("postcode", "location", "house_number"):
        assert key not in talk.answers
    assert talk.answers["energy"] == "electricity", "earlier answers stay"
    assert step.replies[-1].input == "postcode"
    step = talk(CommandGiven("back"))
    assert talk.at == "energy"
    assert "energy" not in talk.answers
    assert button_ids(step.replies[-1])[0] == "energy:electricity"


def test_back_over_an_info_message_returns_to_the_question(talk: Talk) -> None:
    talk(Started(), *choose("lang:nl", "privacy:agree", "gas:no", "medical:yes"))
    talk(CommandGiven("back"))
    assert talk.at == "safety_medical"
    assert "medical" not in talk.answers


def test_back_restores_an_overwritten_answer(talk: Talk) -> None:
    talk(*TO_SITUATION, CommandGiven("person"), TextEntered("0612345678"))
    talk(*choose("callback_time:any", "person_done:continue"))
    assert talk.answers["phone"] == "+31612345678"
    talk(*TO_ELIGIBLE[len(TO_SITUATION) :], *choose("eligible:book", "mode:office"))
    talk(OptionChosen(button_ids(talk.last.replies[-1])[0]))  # the first free day
    talk(OptionChosen(button_ids(talk.last.replies[-1])[0]))  # its first time
    talk(TextEntered("Fatima de Vries"), TextEntered("036 123 4567"))
    assert talk.answers["phone"] == "+31361234567"
    talk(CommandGiven("back"))
    assert talk.at == "booking_phone"
    assert talk.answers["phone"] == "+31612345678", "the earlier number is back"


def test_back_at_the_first_question_says_so(talk: Talk) -> None:
    talk(Started())
    step = talk(CommandGiven("back"))
    assert talk.at == "choose_language"
    assert talk.engine.tree.messages["first_question"] in msgids(step.replies)
    assert button_ids(step.replies[-1])[0] == "lang:nl"


def test_restart_clears_answers(talk: Talk) -> None:
    talk(Started("en"), *TO_SUPPLIER[1:])
    step = talk(CommandGiven("restart"))
    assert talk.engine.tree.restart == "restart_intro"
    assert talk.at == "privacy", "restarting passes the safety line, then asks consent again"
    said = " ".join(msgids(step.replies))
    assert "112" in said
    assert "0800-9009" in said
    assert talk.state is not None
    assert talk.answers == {}
    assert talk.state.history == ()
    assert talk.state.decision is None
    assert talk.state.locale == "nl", "TO_SUPPLIER chose Dutch; the language is kept"
    assert button_ids(step.replies[-1])[0] == "privacy:agree"


def test_language_switch_keeps_progress_and_asks_the_same_question(talk: Talk) -> None:
    talk(*TO_SUPPLIER)
    before = talk.answers
    step = talk(CommandGiven("language"))
    assert isinstance(talk.engine.tree.nodes[talk.at], LanguageNode)
    assert button_ids(step.replies[-1]) == [f"lang:{c}" for c in LANGUAGE_NAMES]
    step = talk(OptionChosen("lang:tr"))
    assert talk.state is not None
    assert talk.state.locale == "tr"
    assert talk.at == "supplier"
    assert talk.answers == before
    assert button_ids(step.replies[-1])[0] == "supplier:vattenfall"
    talk(OptionChosen("supplier:vattenfall"))
    assert talk.at == "debt_help", "the conversation goes on from there"


def test_language_switch_inside_the_callback_detour_returns_to_that_question(
    talk: Talk,
) -> None:
    talk(*TO_SITUATION, CommandGiven("person"), TextEntered("0612345678"))
    assert talk.at == "person_time"
    talk(CommandGiven("language"), OptionChosen("lang:en"))
    assert talk.at == "person_time"


# -- talking to a person --------------------------------------------------------------------


def test_person_detour_requests_a_callback_and_returns(talk: Talk) -> None:
    talk(*TO_SITUATION)
    before = talk.answers
    step = talk(CommandGiven("person"))
    assert talk.at == "person_phone"
    assert step.replies[-1].input == "phone"
    assert text_of(talk.engine, "person_intro") in msgids(step.replies)

    step = talk(TextEntered("123"))
    assert talk.at == "person_phone", "an invalid number is asked again"
    assert not step.effects

    step = talk(TextEntered("06 12 34 56 78"))
    assert talk.at == "person_time"
    step = talk(OptionChosen("callback_time:afternoon"))
    assert talk.at == "person_done"
    [request] = effects_of(step, RequestCallback)
    assert request == RequestCallback(
        phone="+31612345678", part_of_day="afternoon", urgent=False, decision=None
    )

    step = talk(OptionChosen("person_done:continue"))
    assert talk.at == "situation", "back to where the detour began"
    assert button_ids(step.replies[-1])[0] == "situation:cut_off"
    assert {k: v for k, v in talk.answers.items() if k in before} == before
    assert talk.state is not None and talk.state.return_to is None


def test_person_detour_is_urgent_for_a_medical_dependency(talk: Talk) -> None:
    talk(Started(), *choose("lang:nl", "privacy:agree", "gas:no", "medical:yes"))
    step = talk(
        CommandGiven("person"), TextEntered("036 123 4567"), OptionChosen("callback_time:any")
    )
    [request] = effects_of(step, RequestCallback)
    assert isinstance(request, RequestCallback)
    assert request.urgent
    assert request.phone == "+31361234567"


def test_person_detour_can_stop(talk: Talk) -> None:
    talk(*TO_SITUATION, CommandGiven("person"), TextEntered("0612345678"))
    step = talk(OptionChosen("callback_time:any"), OptionChosen("person_done:stop"))
    assert talk.at == "goodbye"
    assert talk.state is not None and talk.state.ended
    assert ConversationFinished("goodbye", None) in step.effects


def test_help_inside_the_callback_detour_keeps_the_detour(talk: Talk) -> None:
    talk(*TO_SITUATION, CommandGiven("person"), TextEntered("0612345678"))
    talk(CommandGiven("help"))
    assert talk.at == "person_time", "help asks the same question again"
    step = talk(OptionChosen("callback_time:morning"))
    assert effects_of(step, RequestCallback), "the call-back is still requested"
    talk(OptionChosen("person_done:continue"))
    assert talk.at == "situation"


# -- stop, erase, privacy, help -------------------------------------------------------------


def test_stop_ends(talk: Talk) -> None:
    talk(*TO_SUPPLIER)
    step = talk(CommandGiven("stop"))
    assert talk.at == "stopped"
    assert talk.state is not None and talk.state.ended
    assert ConversationFinished("stopped", None) in step.effects
    assert "/wis" in shown(step)


def test_erase_keeps_nothing(talk: Talk) -> None:
    talk(*TO_SUPPLIER)
    step = talk(CommandGiven("erase"))
    assert step.state is None
    assert EraseData() in step.effects
    assert "gewist" in shown(step)


def test_erase_works_after_the_conversation_ended(talk: Talk) -> None:
    talk(*TO_SUPPLIER, CommandGiven("stop"))
    step = talk(CommandGiven("erase"))
    assert step.state is None
    assert EraseData() in step.effects


@pytest.mark.parametrize("command", ["privacy", "help"])
@pytest.mark.parametrize("node_path", [TO_SUPPLIER, [*TO_SUPPLIER[:-1]]], ids=["choice", "input"])
def test_privacy_and_help_inform_and_ask_again(
    talk: Talk, command: CommandName, node_path: list[Event]
) -> None:
    talk(*node_path)
    before = talk.state
    assert before is not None
    step = talk(CommandGiven(command))
    target = talk.engine.tree.commands[command].target
    assert target is not None
    said = msgids(step.replies)
    assert said[0] == text_of(talk.engine, target)
    assert talk.state is not None
    assert talk.state.node == before.node
    assert talk.state.answers == before.answers
    assert talk.state.history == before.history
    assert step.replies[-1].buttons == talk.engine.buttons(talk.state)


# -- not understood -------------------------------------------------------------------------


def test_unknown_text_at_a_button_question_asks_again(talk: Talk) -> None:
    asked = talk(*TO_SUPPLIER)
    step = talk(TextEntered("de groene"))
    assert talk.at == "supplier"
    said = msgids(step.replies)
    assert said[0] == talk.engine.tree.messages["not_understood"]
    assert button_ids(step.replies[-1]) == button_ids(asked.replies[-1])
    assert "supplier" not in talk.answers


def test_stale_option_gets_the_stale_message_and_the_current_question(talk: Talk) -> None:
    talk(*TO_SUPPLIER)
    before = talk.answers
    for stale in ("gas:yes", "energy:heat", "lang:en", "cmd:nonsense", "no-such-id"):
        step = talk(OptionChosen(stale))
        assert talk.at == "supplier"
        assert talk.answers == before
        assert msgids(step.replies)[0] == talk.engine.tree.messages["stale_button"]
        assert button_ids(step.replies[-1])[0] == "supplier:vattenfall"


def test_non_text_gets_the_only_text_message_and_a_reask(talk: Talk) -> None:
    talk(*TO_SUPPLIER)
    step = talk(NonTextReceived("sticker"))
    assert talk.at == "supplier"
    assert msgids(step.replies)[0] == talk.engine.tree.messages["text_only"]
    assert button_ids(step.replies[-1])[0] == "supplier:vattenfall"


def test_repeated_misunderstanding_offers_a_person(talk: Talk) -> None:
    talk(*TO_SUPPLIER)
    first = talk(TextEntered("???"))
    assert "cmd:person" not in button_ids(first.replies[-1])
    second = talk(NonTextReceived("voice"))
    assert "cmd:person" in button_ids(second.replies[-1])
    step = talk(OptionChosen("cmd:person"))
    assert talk.at == "person_phone"
    assert talk.state is not None and talk.state.return_to == "supplier"
    assert step.replies


def test_repeated_invalid_input_offers_a_person(talk: Talk) -> None:
    talk(*TO_SUPPLIER[:-1])
    assert talk.at == "location"
    first = talk(TextEntered("hier"))
    assert "cmd:person" not in button_ids(first.replies[-1])
    second = talk(TextEntered("daar"))
    assert "cmd:person" in button_ids(second.replies[-1])
    assert talk.engine.tree.messages["still_there"] in msgids(second.replies)


def test_a_good_answer_resets_the_misunderstanding(talk: Talk) -> None:
    talk(*TO_SUPPLIER, TextEntered("?"), TextEntered("?"))
    step = talk(OptionChosen("supplier:vattenfall"))
    assert talk.at == "debt_help"
    assert "cmd:person" not in button_ids(step.replies[-1])


def test_an_event_after_the_end_starts_a_new_conversation(engine: Engine, now: datetime) -> None:
    talk = Talk(engine, now)
    talk(Started(source="telegram"), *TO_SUPPLIER[1:], CommandGiven("stop"))
    assert talk.state is not None and talk.state.ended
    talk.now = now + timedelta(days=2)
    step = talk(TextEntered("hallo"))
    assert talk.at == "choose_language"
    assert talk.state is not None
    assert not talk.state.ended
    assert talk.answers == {}
    assert talk.state.history == ()
    assert talk.state.started_at == talk.now
    assert talk.state.source == "telegram"
    assert "112" in shown(step)


def test_no_state_starts_a_new_conversation(engine: Engine, now: datetime) -> None:
    step = engine.step(None, TextEntered("hallo"), now=now)
    assert step.state is not None
    assert step.state.node == "choose_language"


def test_current_repeats_the_question(engine: Engine, talk: Talk) -> None:
    asked = talk(*TO_SUPPLIER)
    assert talk.state is not None
    assert engine.current(talk.state) == (asked.replies[-1],)


# -- every global command at every question -------------------------------------------------


def _explore(engine: Engine, now: datetime) -> dict[str, ConversationState]:
    """The first state found at each node, walking the tree as residents would.

    Keyed by node id, or ``<node id>+detour`` for a state inside a detour (a call-back or
    language switch asked for in the middle of the questions).
    """
    first = engine.step(None, Started(), now=now).state
    assert first is not None
    found: dict[str, ConversationState] = {}
    seen: set[tuple[str, str | None, str, str | None]] = set()
    queue = deque([first])
    while queue:
        state = queue.popleft()
        key = (
            state.node,
            state.answers.get("situation"),
            decide(state.answers).outcome,
            state.return_to,
        )
        if key in seen:
            continue
        seen.add(key)
        found.setdefault(state.node + ("+detour" if state.return_to else ""), state)
        node = engine.tree.nodes[state.node]
        if state.node in ("booked", "booked_phone"):  # /afspraak works after the end too
            after = engine.step(state, CommandGiven("appointment"), now=now).state
            if after is not None:
                queue.append(after)
        if not isinstance(node, WaitingNode):
            continue
        events: list[Event] = [OptionChosen(b.id) for b in engine.buttons(state)]
        if isinstance(node, InputNode):
            events.append(TextEntered(SAMPLE_INPUT[node.input]))
        if state.node == "privacy":
            events.append(CommandGiven("language"))
        if state.node == "situation":
            events.append(CommandGiven("person"))
        if state.node in {"eligible", "booking_mode"}:
            events.append(CommandGiven("appointment"))
        for event in events:
            after = engine.step(state, event, now=now).state
            if after is not None:
                queue.append(after)
    return found


@pytest.fixture(scope="module")
def reached(tree: Tree, now: datetime) -> dict[str, ConversationState]:
    found = _explore(SettlingEngine(Engine(tree), agenda_with_slots(now)), now)
    full = _explore(SettlingEngine(Engine(tree), agenda_with_slots(now, days=0)), now)
    busy = agenda_with_slots(now)
    busy.always_taken = True  # every confirmation loses its slot to someone else
    taken = _explore(SettlingEngine(Engine(tree), busy), now)
    return {**taken, **full, **found}


def test_a_resident_can_reach_every_question(reached: dict[str, ConversationState]) -> None:
    assert set(QUESTIONS) <= set(reached)
    assert {key.removesuffix("+detour") for key in reached} >= set(WAITING_NODES)


def _other_language(locale: str) -> str:
    return "en" if locale != "en" else "pl"


@pytest.mark.parametrize("via", ["command", "button"])
@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("question", QUESTIONS)
def test_global_command_at_every_question(
    engine: Engine,
    now: datetime,
    reached: dict[str, ConversationState],
    question: str,
    command: CommandName,
    via: str,
) -> None:
    state = reached[question]
    node_id = state.node
    assert not state.ended
    event = CommandGiven(command) if via == "command" else OptionChosen(f"cmd:{command}")
    step = engine.step(state, event, now=now)
    assert_sensible(engine, step)
    after = step.state
    tree = engine.tree
    match command:
        case "erase":
            assert after is None
        case "stop":
            assert after is not None
            assert after.ended
            assert after.node == tree.commands["stop"].target
        case "restart":
            assert after is not None
            assert after.node == "privacy"
            assert after.answers == {}
            assert after.history == ()
            assert after.locale == state.locale
        case "back":
            assert after is not None
            if not state.history:
                assert after.node == node_id
                assert tree.messages["first_question"] in msgids(step.replies)
            else:
                frame = state.history[-1]
                assert after.node == frame.node
                for key, old in frame.previous:
                    assert after.answers.get(key) == old
                assert after.history == state.history[:-1]
        case "person":
            assert after is not None
            assert after.node == "person_phone"
            # Medewerker inside a detour replaces it: it returns where the outer one began.
            assert after.return_to == (state.return_to or node_id)
            assert dict(after.answers) == dict(state.answers)
        case "language":
            assert after is not None
            assert isinstance(tree.nodes[after.node], LanguageNode)
            new_locale = _other_language(state.locale)
            chosen = engine.step(after, OptionChosen(f"lang:{new_locale}"), now=now)
            assert_sensible(engine, chosen)
            assert chosen.state is not None
            assert chosen.state.locale == new_locale
            assert dict(chosen.state.answers) == dict(state.answers)
            node = tree.nodes[node_id]
            if isinstance(node, LanguageNode):
                assert after.node == node_id, "no second language question"
                expected = state.return_to if node.next == RETURN else node.next
                assert chosen.state.node == expected
            else:
                assert chosen.state.node == node_id, "the same question again"
                assert chosen.state.returns == state.returns
        case "privacy" | "help":
            assert after is not None
            target = tree.commands[command].target
            assert target is not None
            assert msgids(step.replies)[0] == text_of(engine, target)
            assert after.node == node_id
            assert after.answers == state.answers
            assert after.history == state.history
            assert after.return_to == state.return_to


@pytest.mark.parametrize("node_id", WAITING_NODES)
def test_every_question_can_be_constructed_and_asked(
    engine: Engine, now: datetime, node_id: str
) -> None:
    """A state built at any question (e.g. restored from storage) is asked and answerable."""
    state = ConversationState(node=node_id, locale="nl", started_at=now, updated_at=now)
    [reply] = engine.current(state)
    node = engine.tree.nodes[node_id]
    assert reply.buttons == engine.buttons(state)
    if not isinstance(node, InputNode | OfferNode):  # offers come from the agenda, on entry
        assert reply.buttons, "a question answered with buttons shows them"
    for event in (NonTextReceived("photo"), TextEntered("blabla"), CommandGiven("back")):
        assert_sensible(engine, engine.step(state, event, now=now))


def test_a_state_at_an_automatic_node_restarts_sensibly(engine: Engine, now: datetime) -> None:
    """A stored state that points at a non-question (a changed tree) does not get stuck."""
    state = ConversationState(node="decide", locale="nl", started_at=now, updated_at=now)
    step = engine.step(state, TextEntered("hallo"), now=now)
    assert_sensible(engine, step)


# -- property: nothing a resident does breaks the engine ------------------------------------

TEXTS = [
    "1315 AB 12",
    "1234 AB",
    "0612345678",
    "+32 470 12 34 56",
    "jan@example.nl",
    "ja",
    "terug",
    "",
    " ",
    "\u202e\x00",
    "x" * 3000,
]
EVENTS: st.SearchStrategy[Event] = st.one_of(
    st.builds(TextEntered, st.one_of(st.sampled_from(TEXTS), st.text(max_size=60))),
    st.builds(
        OptionChosen,
        st.one_of(st.sampled_from(ALL_OPTION_IDS), st.sampled_from(["", "cmd:", "lang:xx"])),
    ),
    st.builds(OptionChosen, st.text(max_size=70)),
    st.builds(CommandGiven, st.sampled_from(COMMANDS)),
    st.builds(NonTextReceived, st.sampled_from(["sticker", "photo", "voice", "location"])),
    st.builds(Started, st.sampled_from([None, "en", "ar", "xx", "en-GB"])),
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # the agenda may fill up
)
@given(data=st.data())
def test_random_events_never_break_the_engine(
    engine: Engine, now: datetime, data: st.DataObject
) -> None:
    state: ConversationState | None = None
    count = data.draw(st.integers(min_value=1, max_value=40))
    for _ in range(count):
        buttons = engine.buttons(state) if state is not None and not state.ended else ()
        press = data.draw(st.booleans()) if buttons else False
        if press:
            event: Event = OptionChosen(data.draw(st.sampled_from([b.id for b in buttons])))
        else:
            event = data.draw(EVENTS)
        step = engine.step(state, event, now=now)
        assert_sensible(engine, step)
        for request in effects_of(step, RequestCallback):
            assert isinstance(request, RequestCallback)
            assert request.phone.startswith("+31"), "a call-back always has a phone number"
        if step.state is not None:
            assert step.state.updated_at == now
            assert step.state.locale in LANGUAGE_NAMES
        state = step.state


def test_state_survives_storage(talk: Talk) -> None:
    talk(*TO_ELIGIBLE)
    assert talk.state is not None
    assert ConversationState.from_json(talk.state.to_json()) == talk.state
    restored = ConversationState.from_json(talk.state.to_json())
    assert talk.engine.current(restored) == talk.engine.current(talk.state)


# -- detours nest, actions are not repeated, the end stays reachable -------------------------


def test_back_after_a_finished_callback_goes_to_where_it_began_without_a_second_request(
    talk: Talk,
) -> None:
    talk(*TO_SUPPLIER, CommandGiven("person"), TextEntered("0612345678"))
    done = talk(OptionChosen("callback_time:morning"))
    assert len(effects_of(done, RequestCallback)) == 1
    step = talk(CommandGiven("back"))
    assert talk.at == "supplier", "back to the question where Medewerker was asked for"
    assert effects_of(step, RequestCallback) == []
    assert talk.state is not None
    assert talk.state.returns == ()


def test_back_restores_the_decision_of_that_moment(talk: Talk) -> None:
    talk(*TO_ELIGIBLE)
    assert talk.state is not None
    assert talk.state.decision is not None
    talk(CommandGiven("back"))
    assert talk.at == "budget"
    assert talk.state.decision is None, "the answer that led to the decision was undone"
    talk(OptionChosen("budget:yes"), CommandGiven("person"))
    talk(CommandGiven("back"))
    assert talk.at == "eligible"
    assert talk.state.decision == decide(talk.answers), "the outcome still has its reasons"


def test_help_and_language_nest_inside_the_callback_questions(talk: Talk) -> None:
    talk(*TO_SUPPLIER, CommandGiven("person"))
    talk(CommandGiven("help"))
    assert talk.at == "person_phone"
    talk(CommandGiven("language"), OptionChosen("lang:pl"))
    assert talk.at == "person_phone"
    assert talk.state is not None
    assert talk.state.locale == "pl"
    talk(TextEntered("0612345678"), OptionChosen("callback_time:any"))
    talk(OptionChosen("person_done:continue"))
    assert talk.at == "supplier", "the outer detour still returns where it began"


@pytest.mark.parametrize("command", ["privacy", "help"])
def test_information_after_the_end_keeps_the_conversation_ended(
    talk: Talk, command: CommandName
) -> None:
    talk(*TO_SITUATION, CommandGiven("stop"))
    step = talk(CommandGiven(command))
    target = talk.engine.tree.commands[command].target
    assert target is not None
    assert text_of(talk.engine, target) in msgids(step.replies)
    assert talk.at == "stopped"
    assert talk.state is not None
    assert talk.state.ended
    assert effects_of(step, ConversationFinished) == [], "the end is not counted twice"


def test_medewerker_and_back_after_the_end(talk: Talk) -> None:
    talk(*TO_ELIGIBLE, OptionChosen("eligible:stop"))
    assert talk.at == "goodbye"
    talk(CommandGiven("person"), TextEntered("0612345678"))
    done = talk(OptionChosen("callback_time:afternoon"))
    [request] = effects_of(done, RequestCallback)
    assert isinstance(request, RequestCallback)
    assert request.decision is not None
    assert request.decision.outcome == "eligible"
    talk(OptionChosen("person_done:continue"))
    assert talk.at == "goodbye"
    assert talk.state is not None
    assert talk.state.ended
    talk(CommandGiven("back"))
    assert talk.at == "person_done", "the last question answered"
    reopened = talk(CommandGiven("back"))
    assert talk.at == "goodbye", "then where the detour began: the end"
    assert talk.state.ended
    assert text_of(talk.engine, "goodbye") in msgids(reopened.replies)


def test_back_after_the_end_reopens_the_last_question(talk: Talk) -> None:
    talk(*TO_ELIGIBLE, OptionChosen("eligible:stop"))
    talk(CommandGiven("back"))
    assert talk.at == "eligible"
    assert talk.state is not None
    assert not talk.state.ended

"""The conversation engine: a pure function from (state, event, now) to (state, replies, effects).

It performs no I/O and knows no channel. It walks the tree (``dialogs.model``): automatic nodes
(info, branch, decision, effect) are passed through at once; a question node stops the walk
and waits for the next event. Global commands work at every question. Texts leave the engine
as msgids (``dialogs.text``); the service translates them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from dialogs import booking_steps
from dialogs.eligibility import REASON_TEXTS, decide
from dialogs.events import (
    BookingDone,
    BookingLookedUp,
    CommandGiven,
    DaysFound,
    Event,
    NonTextReceived,
    OptionChosen,
    PortAnswer,
    Started,
    TextEntered,
    TimesFound,
)
from dialogs.languages import DEFAULT_LANGUAGES, DEFAULT_LOCALE, is_known, language_name
from dialogs.model import (
    RETURN,
    ActionNode,
    BranchNode,
    CommandName,
    DecisionNode,
    EffectNode,
    EndNode,
    InfoNode,
    InputKind,
    InputNode,
    LanguageNode,
    OfferNode,
    OutcomeNode,
    Tree,
    WaitingNode,
)
from dialogs.params import message
from dialogs.replies import Button, ConversationFinished, Effect, EraseData, Reply, RequestCallback
from dialogs.state import ConversationState
from dialogs.text import Bullets, Msg, Text, Verbatim
from dialogs.validators import VALIDATORS, Invalid

MAX_HOPS = 64
"""Automatic nodes passed in one step at most; the graph check rules out loops."""
DETOURS: frozenset[CommandName] = frozenset(
    {"person", "language", "privacy", "help", "appointment"}
)
PORT_ANSWERS = (DaysFound, TimesFound, BookingDone, BookingLookedUp)
KEEPS_PLACE: frozenset[CommandName] = frozenset({"privacy", "help"})


@dataclass(frozen=True)
class Step:
    """The result of one step. ``state`` is ``None`` when nothing may be kept (erasure)."""

    state: ConversationState | None
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...] = ()


@dataclass
class _Out:
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)

    def say(
        self, *parts: Text, buttons: tuple[Button, ...] = (), input: InputKind | None = None
    ) -> None:
        self.replies.append(Reply(parts, buttons, input))


class Engine:
    """Steps conversations through one tree, offering ``languages``."""

    def __init__(self, tree: Tree, languages: Sequence[str] = DEFAULT_LANGUAGES) -> None:
        unknown = [code for code in languages if not is_known(code)]
        if unknown:
            raise ValueError(f"no language name for {unknown}")
        self.tree = tree
        self.languages = tuple(languages) or (DEFAULT_LOCALE,)

    # -- public API -------------------------------------------------------------------------

    def step(self, state: ConversationState | None, event: Event, *, now: datetime) -> Step:
        """Apply ``event`` to ``state`` (``None``: no conversation yet)."""
        if isinstance(event, Started):
            return self._start(event.locale, event.source, now)
        if state is None:
            return self._start(None, None, now)
        if self.starts_anew(state, event):
            return self._start(state.locale, state.source, now)
        command = self._command_of(event)
        state = replace(state, updated_at=now)
        out = _Out()
        if command is not None:
            new_state = self._command(state, command, out)
        elif isinstance(event, PORT_ANSWERS):
            new_state = self._answer(state, event, out)
        else:
            new_state = self._handle(state, event, out)
        erased = any(isinstance(effect, EraseData) for effect in out.effects)
        return Step(None if erased else new_state, tuple(out.replies), tuple(out.effects))

    def starts_anew(self, state: ConversationState | None, event: Event) -> bool:
        """Whether ``event`` begins a new conversation instead of continuing ``state``:
        a start, the first event ever, or anything but a command after the end."""
        if isinstance(event, Started) or state is None:
            return True
        return state.ended and self._command_of(event) is None

    def current(self, state: ConversationState) -> tuple[Reply, ...]:
        """The messages of the current step again (to resume after a reload)."""
        out = _Out()
        node = self.tree.node(state.node)
        if isinstance(node, EndNode):
            self._say_end(node, state, out)
        elif isinstance(node, WaitingNode):
            self._ask(node, state, out)
        return tuple(out.replies)

    def buttons(self, state: ConversationState) -> tuple[Button, ...]:
        """The buttons of the current question (empty when the node waits for nothing)."""
        node = self.tree.node(state.node)
        if isinstance(node, WaitingNode):
            return self._buttons(node, state.misunderstood, state)
        return ()

    def normalise_locale(self, locale: str | None) -> str:
        """The offered language closest to ``locale`` (``en-GB`` → ``en``), else Dutch."""
        if locale:
            base = locale.replace("_", "-").split("-")[0].strip().lower()
            if base in self.languages:
                return base
        return DEFAULT_LOCALE if DEFAULT_LOCALE in self.languages else self.languages[0]

    # -- events -----------------------------------------------------------------------------

    def _start(self, locale: str | None, source: str | None, now: datetime) -> Step:
        state = ConversationState(
            node=self.tree.start,
            locale=self.normalise_locale(locale),
            started_at=now,
            updated_at=now,
            source=source,
        )
        out = _Out()
        state = self._enter(state, self.tree.start, out)
        return Step(state, tuple(out.replies), tuple(out.effects))

    def _command_of(self, event: Event) -> CommandName | None:
        """The global command an event stands for (a command, or a ``cmd:`` button)."""
        if isinstance(event, CommandGiven):
            return event.name
        if isinstance(event, OptionChosen):
            for name in self.tree.commands:
                if event.option_id == f"cmd:{name}":
                    return name
        return None

    def _handle(self, state: ConversationState, event: Event, out: _Out) -> ConversationState:
        node = self.tree.node(state.node)
        match event:
            case OptionChosen(option_id=option_id) if option_id.startswith("cmd:"):
                return self._stale(state, out)
            case NonTextReceived():
                return self._reask(state, self.tree.messages["text_only"], out)
        if isinstance(node, ActionNode) or (isinstance(node, OfferNode) and not state.offer):
            return self._enter(state, node.id, out)  # still waiting for the port: ask again
        if not isinstance(node, WaitingNode):
            return self._enter(state, self.tree.restart, out)
        if isinstance(event, OptionChosen):
            return self._option(node, state, event.option_id, out)
        if isinstance(event, TextEntered):
            return self._text(node, state, event.text, out)
        return state  # pragma: no cover - every event kind is handled above

    def _option(
        self, node: WaitingNode, state: ConversationState, option_id: str, out: _Out
    ) -> ConversationState:
        if isinstance(node, LanguageNode):
            code = option_id.removeprefix("lang:")
            if not option_id.startswith("lang:") or code not in self.languages:
                return self._stale(state, out)
            state = state.with_answers({})
            return self._enter(replace(state, locale=code), node.next, out)
        if isinstance(node, OfferNode) and option_id in dict(state.offer):
            changes = booking_steps.chosen(node, option_id, state) or {}
            return self._enter(state.with_answers(changes), node.next, out)
        options = {o.id: o for o in node.options}
        option = options.get(option_id)
        if option is None:
            return self._stale(state, out)
        key = getattr(node, "key", None)
        changes = {key: option.value} if key and option.value is not None else {}
        state = state.with_answers({**changes, **option.set})
        target = option.next or getattr(node, "next", None) or self.tree.restart
        return self._enter(state, target, out)

    def _text(
        self, node: WaitingNode, state: ConversationState, text: str, out: _Out
    ) -> ConversationState:
        if not isinstance(node, InputNode):
            return self._reask(state, self.tree.messages["not_understood"], out)
        result = VALIDATORS[node.input](text)
        if isinstance(result, Invalid):
            state = replace(state, misunderstood=state.misunderstood + 1)
            self._say_invalid(node, state, out)
            return state
        state = state.with_answers({node.key: result.value, **result.extra})
        return self._enter(state, node.next, out)

    def _command(self, state: ConversationState, name: CommandName, out: _Out) -> ConversationState:
        command = self.tree.commands[name]
        if name == "back":
            previous = state.back()
            if previous is None:
                return self._reask(state, self.tree.messages["first_question"], out)
            node = self.tree.node(previous.node)
            if isinstance(node, EndNode):  # a detour taken after the end: back to the end
                previous = replace(previous, ended=True)
                self._say_end(node, previous, out)
            elif isinstance(node, OfferNode):  # what is free may have changed: ask again
                return self._enter(previous, node.id, out)
            else:
                self._ask_current(previous, out)
            return previous
        if name == "restart":
            fresh = replace(state, answers={}, history=(), returns=(), decision=None, ended=False)
            return self._enter(fresh, self.tree.restart, out)
        if name == "erase":
            if command.target:
                self._enter(state, command.target, out)
            out.effects.append(EraseData())
            return state
        if command.target is None:  # pragma: no cover - the loader requires targets for these
            return self._reask(state, self.tree.messages["not_understood"], out)
        if name in DETOURS:
            return self._detour(state, name, command.target, out)
        return self._enter(replace(state, returns=()), command.target, out)

    def _detour(
        self, state: ConversationState, name: CommandName, target: str, out: _Out
    ) -> ConversationState:
        """Go to ``target``; its ``@return`` comes back to this very question.

        Returns nest: *Taal* or *Hulp* during the call-back questions comes back to the
        call-back question. *Medewerker* inside a detour replaces that detour.
        """
        if name in KEEPS_PLACE:
            return self._enter(replace(state, returns=(*state.returns, state.node)), target, out)
        if name == "language" and isinstance(self.tree.node(state.node), LanguageNode):
            self._ask_current(state, out)
            return state
        if name == "person" and state.returns:
            return self._enter(state.with_answers({}, detour=True), target, out)
        pushed = state.with_answers({}, detour=name == "person")
        return self._enter(replace(pushed, returns=(*state.returns, state.node)), target, out)

    # -- walking the tree ---------------------------------------------------------------------

    def _enter(self, state: ConversationState, node_id: str, out: _Out) -> ConversationState:
        for _ in range(MAX_HOPS):
            if node_id == RETURN:
                node_id = state.return_to or self.tree.restart
                state = replace(state, returns=state.returns[:-1])
            if node_id not in state.seen:
                state = replace(state, seen=(*state.seen, node_id))
            node = self.tree.node(node_id)
            match node:
                case InfoNode():
                    out.say(message(node.text, state, self.tree))
                    node_id = node.next
                case OfferNode() | ActionNode():
                    query = booking_steps.query_for(node, state)
                    if query is None:
                        node_id = node.empty if isinstance(node, OfferNode) else node.fail
                        continue
                    out.effects.append(query)
                    return replace(state, node=node.id, offer=(), ended=False)
                case BranchNode():
                    node_id = _route(node, state)
                case DecisionNode():
                    decision = decide(state.answers)
                    state = replace(state, decision=decision)
                    node_id = node.routes[decision.outcome]
                case EffectNode():
                    out.effects.append(_callback(state))
                    state = state.forget_detour_steps()
                    node_id = node.next
                case EndNode():
                    again = state.ended and state.node == node.id
                    state = replace(state, node=node.id, ended=True, returns=())
                    self._say_end(node, state, out)
                    outcome = state.decision.outcome if state.decision else None
                    if not again:
                        out.effects.append(ConversationFinished(node.id, outcome))
                    if node.forget:
                        out.effects.append(EraseData())
                    return state
                case _:
                    state = replace(state, node=node.id, misunderstood=0, ended=False)
                    self._ask(node, state, out)
                    return state
        raise RuntimeError(f"more than {MAX_HOPS} automatic nodes in a row from {state.node}")

    # -- rendering ----------------------------------------------------------------------------

    def _ask_current(self, state: ConversationState, out: _Out) -> None:
        node = self.tree.node(state.node)
        if isinstance(node, WaitingNode):
            self._ask(node, state, out)

    def _answer(self, state: ConversationState, answer: PortAnswer, out: _Out) -> ConversationState:
        """The booking port answered the query of the current offer or action node."""
        node = self.tree.node(state.node)
        if isinstance(node, OfferNode):
            offer = booking_steps.offer_from(node, answer)
            if offer is not None:
                if not offer:
                    return self._enter(state, node.empty, out)
                state = replace(state, offer=offer)
                self._ask(node, state, out)
                return state
        if isinstance(node, ActionNode):
            result = booking_steps.action_result(node, answer)
            if result is not None:
                target, learned = result
                state = replace(state, answers={**state.answers, **learned})
                return self._enter(state, target, out)
        self._ask_keep_count(state, out)  # an answer to a question not asked: just go on
        return state

    def _ask(self, node: WaitingNode, state: ConversationState, out: _Out) -> None:
        parts: list[Text] = []
        if node.progress:
            total = str(self.tree.total_questions)
            parts.append(Msg.of(self.tree.messages["progress"], n=str(node.progress), total=total))
        parts.append(message(node.text, state, self.tree))
        if isinstance(node, OutcomeNode):
            parts.extend(self._reasons(node, state))
            parts.append(message(node.ask, state, self.tree))
        input_kind = node.input if isinstance(node, InputNode) else None
        buttons = self._buttons(node, state.misunderstood, state)
        out.say(*parts, buttons=buttons, input=input_kind)

    def _reasons(self, node: OutcomeNode, state: ConversationState) -> list[Text]:
        if not (node.show_reasons and state.decision and state.decision.reasons):
            return []
        items = tuple(Msg(REASON_TEXTS[code]) for code in state.decision.reasons)
        return [Msg(self.tree.messages["reasons_intro"]), Bullets(items)]

    def _say_end(self, node: EndNode, state: ConversationState, out: _Out) -> None:
        parts: list[Text] = [message(node.text, state, self.tree)]
        if node.show_reasons and state.decision and state.decision.reasons:
            items = tuple(Msg(REASON_TEXTS[code]) for code in state.decision.reasons)
            parts += [Msg(self.tree.messages["reasons_intro"]), Bullets(items)]
        out.say(*parts)

    def _buttons(
        self, node: WaitingNode, misunderstood: int, state: ConversationState
    ) -> tuple[Button, ...]:
        if isinstance(node, LanguageNode):
            return tuple(Button(f"lang:{c}", Verbatim(language_name(c))) for c in self.languages)
        buttons = tuple(Button(o.id, Msg(o.label)) for o in node.options)
        if isinstance(node, OfferNode):
            buttons = booking_steps.offer_buttons(node, state) + buttons
        person = self.tree.commands.get("person")
        if misunderstood >= 2 and person and not any(b.id == "cmd:person" for b in buttons):
            buttons += (Button("cmd:person", Msg(person.label)),)
        return buttons

    def _say_invalid(self, node: InputNode, state: ConversationState, out: _Out) -> None:
        parts: list[Text] = [Msg(node.invalid)]
        if state.misunderstood >= 2:
            parts.append(Msg(self.tree.messages["still_there"]))
        buttons = self._buttons(node, state.misunderstood, state)
        out.say(*parts, buttons=buttons, input=node.input)

    def _reask(self, state: ConversationState, msgid: str, out: _Out) -> ConversationState:
        """Say ``msgid`` and ask the current question again, with its buttons."""
        state = replace(state, misunderstood=state.misunderstood + 1)
        out.say(Msg(msgid))
        if state.misunderstood >= 2:
            out.say(Msg(self.tree.messages["still_there"]))
        self._ask_keep_count(state, out)
        return state

    def _stale(self, state: ConversationState, out: _Out) -> ConversationState:
        out.say(Msg(self.tree.messages["stale_button"]))
        self._ask_keep_count(state, out)
        return state

    def _ask_keep_count(self, state: ConversationState, out: _Out) -> None:
        node = self.tree.node(state.node)
        if isinstance(node, WaitingNode):
            self._ask(node, state, out)


def _route(node: BranchNode, state: ConversationState) -> str:
    for route in node.routes:
        if all(state.answers.get(k) == v for k, v in route.when.items()):
            return route.next
    return node.otherwise


def _callback(state: ConversationState) -> RequestCallback:
    decision = state.decision
    urgent = decision.urgent if decision else decide(state.answers).urgent
    return RequestCallback(
        phone=state.answers.get("phone", ""),
        part_of_day=state.answers.get("callback_time", "any"),
        urgent=urgent,
        decision=decision,
        situation=state.answers.get("situation"),
        energy=state.answers.get("energy"),
        supplier=state.answers.get("supplier"),
    )

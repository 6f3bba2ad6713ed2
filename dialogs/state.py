"""The state of one conversation: where it is, what was answered, how to go back.

Immutable: the engine returns a new state for every step. ``to_json``/``from_json`` give the
stored form; the store keeps it as one JSON document per conversation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from dialogs.eligibility import Decision

SCHEMA_VERSION = 2


@dataclass(frozen=True)
class Frame:
    """One answered question on the way back: the node, and everything as it was before."""

    node: str
    previous: tuple[tuple[str, str | None], ...] = ()
    returns: tuple[str, ...] = ()
    decision: Decision | None = None
    detour: bool = False


@dataclass(frozen=True)
class ConversationState:
    node: str
    locale: str
    started_at: datetime
    updated_at: datetime
    answers: Mapping[str, str] = field(default_factory=dict)
    history: tuple[Frame, ...] = ()
    returns: tuple[str, ...] = ()
    decision: Decision | None = None
    ended: bool = False
    misunderstood: int = 0
    source: str | None = None
    offer: tuple[tuple[str, str], ...] = ()
    """The buttons an offer question showed (option id, value): only these are accepted."""
    seen: tuple[str, ...] = ()
    """Every node this conversation has passed, in order of first arrival (never undone by
    *Terug*): the funnel counts a conversation once per node."""

    def answer(self, key: str) -> str | None:
        return self.answers.get(key)

    @property
    def return_to(self) -> str | None:
        """Where the innermost detour (Medewerker, Taal, help) goes back to."""
        return self.returns[-1] if self.returns else None

    def with_answers(
        self, changes: Mapping[str, str], *, detour: bool = False
    ) -> ConversationState:
        """The state with ``changes`` applied and a frame on the history that undoes them."""
        previous = tuple((key, self.answers.get(key)) for key in sorted(changes))
        frame = Frame(self.node, previous, self.returns, self.decision, detour)
        answers = {**self.answers, **changes}
        return replace(self, answers=answers, history=(*self.history, frame))

    def forget_detour_steps(self) -> ConversationState:
        """Drop the steps taken inside the current detour.

        After an action that cannot be undone (a call-back request), *Terug* must not walk
        back into the questions that led to it: it goes to where the detour began.
        """
        for index in range(len(self.history) - 1, -1, -1):
            if self.history[index].detour:
                return replace(self, history=self.history[: index + 1])
        return self

    def back(self) -> ConversationState | None:
        """Undo the last answer; ``None`` at the first question."""
        if not self.history:
            return None
        frame = self.history[-1]
        answers = dict(self.answers)
        for key, old in frame.previous:
            if old is None:
                answers.pop(key, None)
            else:
                answers[key] = old
        return replace(
            self,
            node=frame.node,
            answers=answers,
            history=self.history[:-1],
            returns=frame.returns,
            decision=frame.decision,
            ended=False,
            misunderstood=0,
        )

    def to_json(self) -> str:
        return json.dumps(_dump(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> ConversationState:
        return _load(json.loads(raw))


def _dump(state: ConversationState) -> dict[str, Any]:
    decision = state.decision
    return {
        "v": SCHEMA_VERSION,
        "node": state.node,
        "locale": state.locale,
        "started_at": state.started_at.isoformat(),
        "updated_at": state.updated_at.isoformat(),
        "answers": dict(state.answers),
        "history": [_dump_frame(f) for f in state.history],
        "returns": list(state.returns),
        "decision": _dump_decision(decision),
        "ended": state.ended,
        "misunderstood": state.misunderstood,
        "source": state.source,
        "offer": [list(pair) for pair in state.offer],
        "seen": list(state.seen),
    }


def _dump_decision(decision: Decision | None) -> list[Any] | None:
    if decision is None:
        return None
    return [decision.outcome, decision.urgent, list(decision.reasons), decision.rule_version]


def _load_decision(raw: list[Any] | None) -> Decision | None:
    if raw is None:
        return None
    outcome, urgent, reasons, version = raw
    return Decision(outcome, bool(urgent), tuple(reasons), version)


def _dump_frame(frame: Frame) -> list[Any]:
    previous = [list(p) for p in frame.previous]
    return [frame.node, previous, list(frame.returns), _dump_decision(frame.decision), frame.detour]


def _load_frame(raw: list[Any]) -> Frame:
    node, previous, returns, decision, detour = raw
    pairs = tuple((k, v) for k, v in previous)
    return Frame(node, pairs, tuple(returns), _load_decision(decision), bool(detour))


def _load(data: dict[str, Any]) -> ConversationState:
    decision = _load_decision(data.get("decision"))
    history = tuple(_load_frame(raw) for raw in data.get("history", []))
    return ConversationState(
        node=data["node"],
        locale=data["locale"],
        started_at=datetime.fromisoformat(data["started_at"]),
        updated_at=datetime.fromisoformat(data["updated_at"]),
        answers=dict(data.get("answers", {})),
        history=history,
        returns=tuple(data.get("returns", ())),
        decision=decision,
        ended=bool(data.get("ended", False)),
        misunderstood=int(data.get("misunderstood", 0)),
        source=data.get("source"),
        offer=tuple((option_id, value) for option_id, value in data.get("offer", [])),
        seen=tuple(data.get("seen", ())),
    )

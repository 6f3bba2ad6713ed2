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

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Frame:
    """One answered question on the way back: the node, and answers as they were before."""

    node: str
    previous: tuple[tuple[str, str | None], ...] = ()
    return_to: str | None = None


@dataclass(frozen=True)
class ConversationState:
    node: str
    locale: str
    started_at: datetime
    updated_at: datetime
    answers: Mapping[str, str] = field(default_factory=dict)
    history: tuple[Frame, ...] = ()
    return_to: str | None = None
    decision: Decision | None = None
    ended: bool = False
    misunderstood: int = 0
    source: str | None = None

    def answer(self, key: str) -> str | None:
        return self.answers.get(key)

    def with_answers(self, changes: Mapping[str, str]) -> tuple[ConversationState, Frame]:
        """The state with ``changes`` applied, and the frame that undoes them."""
        previous = tuple((key, self.answers.get(key)) for key in sorted(changes))
        frame = Frame(self.node, previous, self.return_to)
        answers = {**self.answers, **changes}
        return replace(self, answers=answers, history=(*self.history, frame)), frame

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
            return_to=frame.return_to,
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
        "history": [[f.node, [list(p) for p in f.previous], f.return_to] for f in state.history],
        "return_to": state.return_to,
        "decision": None
        if decision is None
        else [decision.outcome, decision.urgent, list(decision.reasons), decision.rule_version],
        "ended": state.ended,
        "misunderstood": state.misunderstood,
        "source": state.source,
    }


def _load(data: dict[str, Any]) -> ConversationState:
    raw_decision = data.get("decision")
    decision = None
    if raw_decision is not None:
        outcome, urgent, reasons, version = raw_decision
        decision = Decision(outcome, bool(urgent), tuple(reasons), version)
    history = tuple(
        Frame(node, tuple((k, v) for k, v in previous), return_to)
        for node, previous, return_to in data.get("history", [])
    )
    return ConversationState(
        node=data["node"],
        locale=data["locale"],
        started_at=datetime.fromisoformat(data["started_at"]),
        updated_at=datetime.fromisoformat(data["updated_at"]),
        answers=dict(data.get("answers", {})),
        history=history,
        return_to=data.get("return_to"),
        decision=decision,
        ended=bool(data.get("ended", False)),
        misunderstood=int(data.get("misunderstood", 0)),
        source=data.get("source"),
    )

"""The dialogue tree as typed data.

The YAML files in ``dialogs/trees/`` are parsed into these pydantic models. Every node kind
is its own model so that the engine can ``match`` on it and mypy can check each branch.
Texts are Dutch B1 source strings: they double as gettext msgids.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

NodeId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
OptionId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*:[a-z0-9_]+$", max_length=48)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
InputKind = Literal["postcode", "phone", "email", "name", "text"]
CommandName = Literal[
    "back", "restart", "language", "person", "stop", "erase", "privacy", "help", "appointment"
]

RETURN = "@return"
"""Target that goes back to the question where a detour (person, language, help) started."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    """A quick-reply button. ``id`` is stable and never shown; ``label`` is a msgid."""

    id: OptionId
    label: Text
    value: str | None = None
    set: dict[str, str] = Field(default_factory=dict)
    next: str | None = None


class _Node(_Strict):
    id: NodeId = ""
    file: str = ""


class _Question(_Node):
    text: Text
    progress: int | None = Field(default=None, ge=1)


class ChoiceNode(_Question):
    """A question answered with one of its buttons."""

    kind: Literal["choice"]
    key: str | None = None
    options: tuple[Option, ...] = Field(min_length=1)
    next: str | None = None


class InputNode(_Question):
    """A question answered by typing; ``input`` names the validator. Options are shortcuts."""

    kind: Literal["input"]
    key: str
    input: InputKind
    invalid: Text
    next: str
    options: tuple[Option, ...] = ()


class LanguageNode(_Question):
    """Offers the configured languages, each in its own name; sets the conversation locale."""

    kind: Literal["language"]
    next: str


class InfoNode(_Node):
    """A message that needs no answer; the conversation moves on to ``next`` at once."""

    kind: Literal["info"]
    text: Text
    next: str


class Route(_Strict):
    when: dict[str, str] = Field(default_factory=dict)
    next: str


class BranchNode(_Node):
    """Routes on earlier answers; the first route whose ``when`` matches wins."""

    kind: Literal["branch"]
    routes: tuple[Route, ...] = Field(min_length=1)
    otherwise: str


class DecisionNode(_Node):
    """Runs the eligibility rules and routes on the outcome."""

    kind: Literal["decision"]
    routes: dict[str, str]


class EffectNode(_Node):
    """Asks the service to do something outside the engine (e.g. a call-back request)."""

    kind: Literal["effect"]
    effect: Literal["request_callback"]
    next: str


class EndNode(_Node):
    """The conversation is over. ``forget`` erases it at once (e.g. no privacy consent)."""

    kind: Literal["end"]
    text: Text
    show_reasons: bool = False
    forget: bool = False


class OfferNode(_Question):
    """Offers what is free right now (days or times), asked from the booking port on entry."""

    kind: Literal["offer"]
    source: Literal["days", "times"]
    key: str
    next: str
    empty: str
    options: tuple[Option, ...] = ()


class ActionNode(_Node):
    """Books, moves, looks up or cancels through the booking port, then routes on the result.

    ``next`` on success, ``fail`` when the slot was taken or there is no booking, ``exists``
    when the resident already has another booking.
    """

    kind: Literal["action"]
    action: Literal["book", "move", "lookup", "cancel"]
    next: str
    fail: str
    exists: str | None = None


class OutcomeNode(_Question):
    """Tells the decision, then its reasons, then asks ``ask`` with the options."""

    kind: Literal["outcome"]
    ask: Text
    options: tuple[Option, ...] = Field(min_length=1)
    show_reasons: bool = True


Node = Annotated[
    ChoiceNode
    | InputNode
    | LanguageNode
    | InfoNode
    | BranchNode
    | DecisionNode
    | EffectNode
    | EndNode
    | OutcomeNode
    | OfferNode
    | ActionNode,
    Field(discriminator="kind"),
]
WaitingNode = ChoiceNode | InputNode | LanguageNode | OutcomeNode | OfferNode


class Command(_Strict):
    """A global command, understood at every question (by button id ``cmd:<name>`` or word)."""

    label: Text
    words: tuple[str, ...] = ()
    target: str | None = None


class Tree(_Strict):
    """The whole conversation: nodes by id, the start node and the global commands."""

    start: str
    restart: str
    nodes: dict[str, Node]
    commands: dict[CommandName, Command]
    messages: dict[str, Text] = Field(default_factory=dict)

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    @cached_property  # asked at every question; the tree never changes once loaded
    def total_questions(self) -> int:
        """The highest progress number: the "van 8" in "vraag 3 van 8"."""
        numbers = [getattr(n, "progress", None) or 0 for n in self.nodes.values()]
        return max(numbers, default=0)

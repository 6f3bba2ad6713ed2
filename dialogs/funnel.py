"""The funnel: anonymous counts of where conversations go, worked out from one turn.

Counts are kept per cohort: the day a conversation started (local), its language, its
channel and its source (the campaign label it came with: a Telegram start parameter, the
widget link's ``weeraan-source``; a conversation without one counts under its channel's
name). Per node, ``reached`` counts conversations that arrived there at least once
(``ConversationState.seen``, so *Terug* and detours never count a node twice) and
``stopped`` counts conversations whose latest node it is: every turn moves one conversation
from its old node to its new one. Finished conversations are counted per outcome. Nothing
here says who the resident is or what they answered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from dialogs.replies import ConversationFinished
from dialogs.state import ConversationState

NO_OUTCOME: Final = "none"
"""The outcome of a conversation that finished before the eligibility decision."""
STARTED: Final = "@started"
"""Not a node: its ``reached`` counts new conversations (the same number as the tree's start
node, but readable without knowing the tree, e.g. by ``/metrics``)."""

SOURCE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What a source may look like (a Telegram start parameter's rule)."""

DayOf = Callable[[datetime], date]


def counted_source(source: str | None, channel: str) -> str:
    """The source a conversation is counted under: its own if it has a sound one, else the
    channel's name (the default source before sources were counted, and for odd values)."""
    return source if source is not None and SOURCE.fullmatch(source) else channel


@dataclass(frozen=True)
class NodeCount:
    """A change to the counters of one node in one cohort."""

    day: date
    node: str
    locale: str
    reached: int = 0
    stopped: int = 0
    source: str | None = None
    """``None``: none recorded (counted under the channel, see ``counted_source``)."""


@dataclass(frozen=True)
class OutcomeCount:
    """One conversation of a cohort finished with ``outcome``."""

    day: date
    outcome: str
    locale: str
    source: str | None = None


@dataclass(frozen=True)
class FunnelCounts:
    """What one turn adds to the funnel (the channel is the conversation's own)."""

    nodes: tuple[NodeCount, ...] = ()
    finished: tuple[OutcomeCount, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.nodes or self.finished)


def funnel_counts(
    before: ConversationState | None,
    after: ConversationState | None,
    *,
    fresh: bool,
    finished: Iterable[ConversationFinished],
    day_of: DayOf,
) -> FunnelCounts:
    """The counts of a turn from ``before`` to ``after`` (``None``: erased).

    ``fresh``: the turn began a new conversation; the old one keeps its place as where it
    stopped. A conversation from before the funnel was counted (no ``seen``) is left out.
    """
    prior = None if fresh else before
    if prior is not None and not prior.seen:
        return FunnelCounts()
    ends = tuple(finished)
    current = after or prior
    if current is None:
        return FunnelCounts()
    day = day_of(current.started_at)
    passed = after.seen if after is not None else tuple(end.node for end in ends)
    known = set(prior.seen) if prior is not None else set()
    place = after.node if after is not None else (ends[-1].node if ends else current.node)
    cohort = _Cohort(day, current.locale, current.source)
    changes = _Changes()
    if prior is None:
        changes.add(cohort, STARTED, reached=1)
    for node in passed:
        if node not in known:
            changes.add(cohort, node, reached=1)
    if prior is not None:
        old = _Cohort(day_of(prior.started_at), prior.locale, prior.source)
        changes.add(old, prior.node, stopped=-1)
    changes.add(cohort, place, stopped=1)
    outcomes = tuple(
        OutcomeCount(day, end.outcome or NO_OUTCOME, current.locale, current.source) for end in ends
    )
    return FunnelCounts(changes.counts(), outcomes)


@dataclass(frozen=True)
class _Cohort:
    day: date
    locale: str
    source: str | None


class _Changes:
    """Node count changes summed per (cohort, node); a row that nets zero is dropped."""

    def __init__(self) -> None:
        self._sums: dict[tuple[_Cohort, str], tuple[int, int]] = {}

    def add(self, cohort: _Cohort, node: str, *, reached: int = 0, stopped: int = 0) -> None:
        old_reached, old_stopped = self._sums.get((cohort, node), (0, 0))
        self._sums[(cohort, node)] = (old_reached + reached, old_stopped + stopped)

    def counts(self) -> tuple[NodeCount, ...]:
        return tuple(
            NodeCount(c.day, node, c.locale, reached, stopped, c.source)
            for (c, node), (reached, stopped) in self._sums.items()
            if reached or stopped
        )

"""Reading the funnel back: counts per node (in the tree's order) and per outcome, summed over
a period of cohort days and, if chosen, one language, one channel and one source."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from dialogs.funnel import STARTED
from webhook.tables import funnel_nodes, funnel_outcomes


@dataclass(frozen=True)
class FunnelFilter:
    """Conversations started from ``first`` to ``last`` (local days, both included)."""

    first: date
    last: date
    locale: str | None = None
    channel: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class NodeRow:
    node: str
    reached: int
    stopped: int


@dataclass(frozen=True)
class OutcomeRow:
    outcome: str
    finished: int


@dataclass(frozen=True)
class FunnelReport:
    nodes: tuple[NodeRow, ...]
    """Nodes that some conversation reached, in the tree's order (unknown ones last)."""
    outcomes: tuple[OutcomeRow, ...]
    started: int

    @property
    def finished(self) -> int:
        return sum(row.finished for row in self.outcomes)


def filtered(statement: Select[Any], table: Table, chosen: FunnelFilter) -> Select[Any]:
    """``statement`` on the rows of ``table`` that ``chosen`` selects."""
    statement = statement.where(table.c.day >= chosen.first, table.c.day <= chosen.last)
    if chosen.locale is not None:
        statement = statement.where(table.c.locale == chosen.locale)
    if chosen.channel is not None:
        statement = statement.where(table.c.channel == chosen.channel)
    if chosen.source is not None:
        statement = statement.where(table.c.source == chosen.source)
    return statement


async def funnel_report(
    connection: AsyncConnection, chosen: FunnelFilter, *, order: Sequence[str]
) -> FunnelReport:
    """The funnel for ``chosen``; ``order`` is the tree's node order."""
    c = funnel_nodes.c
    by_node = select(c.node, func.sum(c.reached), func.sum(c.stopped)).group_by(c.node)
    counted = {
        node: NodeRow(node, int(reached), int(stopped))
        for node, reached, stopped in await connection.execute(
            filtered(by_node, funnel_nodes, chosen)
        )
        if reached or stopped
    }
    o = funnel_outcomes.c
    by_outcome = select(o.outcome, func.sum(o.finished)).group_by(o.outcome)
    outcomes = await connection.execute(filtered(by_outcome, funnel_outcomes, chosen))
    begun = counted.pop(STARTED, None)
    started = begun.reached if begun else 0
    ranks = {node: index for index, node in enumerate(order)}
    rows = sorted(counted.values(), key=lambda row: (ranks.get(row.node, len(ranks)), row.node))
    return FunnelReport(
        nodes=tuple(rows),
        outcomes=tuple(
            sorted((OutcomeRow(name, int(n)) for name, n in outcomes), key=lambda r: -r.finished)
        ),
        started=started,
    )

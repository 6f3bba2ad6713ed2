"""Where residents came from: conversations started and ends reached per source.

Sources are campaign labels, but anyone can make up a deep link, so at most ``CAP`` sources
are read (the ones most conversations started from); the rest are summed into one row,
``OTHER``, which no real source can be (it is not a sound label).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from dialogs.funnel import STARTED
from webhook.funnel.report import FunnelFilter, filtered
from webhook.tables import funnel_nodes, funnel_outcomes

CAP: Final = 20
OTHER: Final = "(overig)"


@dataclass(frozen=True)
class SourceRow:
    source: str
    """A source, or ``OTHER`` for all sources past the ``CAP`` most frequent together."""
    started: int
    finished: int
    sources: int = 1
    """How many sources the row sums (more than one only for ``OTHER``)."""


async def top_sources(
    connection: AsyncConnection, chosen: FunnelFilter, *, cap: int = CAP
) -> tuple[tuple[str, int], ...]:
    """The ``cap`` sources most conversations started from, with that number (most first)."""
    c = funnel_nodes.c
    started = func.sum(c.reached)
    statement = (
        filtered(select(c.source, started), funnel_nodes, chosen)
        .where(c.node == STARTED)
        .group_by(c.source)
        .having(started > 0)
        .order_by(started.desc(), c.source)
        .limit(cap)
    )
    return tuple((source, int(n)) for source, n in await connection.execute(statement))


async def source_rows(
    connection: AsyncConnection, chosen: FunnelFilter, *, cap: int = CAP
) -> tuple[SourceRow, ...]:
    """Per source (whatever source ``chosen`` names: this table compares them all)."""
    every = replace(chosen, source=None)
    top = await top_sources(connection, every, cap=cap)
    ends = await _ends(connection, every, [source for source, _ in top])
    rows = tuple(SourceRow(source, started, ends.get(source, 0)) for source, started in top)
    rest = await _rest(connection, every, rows)
    return (*rows, rest) if rest.sources > 0 else rows


async def _ends(
    connection: AsyncConnection, chosen: FunnelFilter, names: list[str]
) -> dict[str, int]:
    o = funnel_outcomes.c
    statement = filtered(select(o.source, func.sum(o.finished)), funnel_outcomes, chosen)
    statement = statement.where(o.source.in_(names)).group_by(o.source)
    return {source: int(n) for source, n in await connection.execute(statement)}


async def _rest(
    connection: AsyncConnection, chosen: FunnelFilter, rows: tuple[SourceRow, ...]
) -> SourceRow:
    """The sources not in ``rows``, summed: the totals less those of ``rows``."""
    c, o = funnel_nodes.c, funnel_outcomes.c
    begun = select(func.coalesce(func.sum(c.reached), 0), func.count(distinct(c.source)))
    begun = filtered(begun, funnel_nodes, chosen).where(c.node == STARTED, c.reached > 0)
    started, sources = (await connection.execute(begun)).one()
    ended = filtered(select(func.coalesce(func.sum(o.finished), 0)), funnel_outcomes, chosen)
    finished = await connection.scalar(ended)
    return SourceRow(
        OTHER,
        int(started) - sum(row.started for row in rows),
        int(finished or 0) - sum(row.finished for row in rows),
        int(sources) - len(rows),
    )

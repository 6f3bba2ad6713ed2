"""Adding a turn's funnel counts: one upsert for the nodes, one more when a conversation
finishes. Core statements on the turn's own connection (this runs on every turn)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from dialogs.funnel import FunnelCounts, counted_source
from webhook.tables import funnel_nodes, funnel_outcomes

NODE_COUNTERS = ("reached", "stopped")
OUTCOME_COUNTERS = ("finished",)


async def tally(connection: AsyncConnection, channel: str, counts: FunnelCounts) -> None:
    """Add ``counts`` to the counters (rows are created as needed)."""
    if counts.nodes:
        rows = [
            {
                "day": c.day,
                "node": c.node,
                "locale": c.locale,
                "channel": channel,
                "source": counted_source(c.source, channel),
                "reached": c.reached,
                "stopped": c.stopped,
            }
            for c in counts.nodes
        ]
        await _add(connection, funnel_nodes, rows, NODE_COUNTERS)
    if counts.finished:
        ends = Counter(
            (end.day, end.outcome, end.locale, counted_source(end.source, channel))
            for end in counts.finished
        )
        rows = [
            {
                "day": day,
                "outcome": outcome,
                "locale": locale,
                "channel": channel,
                "source": source,
                "finished": n,
            }
            for (day, outcome, locale, source), n in ends.items()
        ]
        await _add(connection, funnel_outcomes, rows, OUTCOME_COUNTERS)
    # Each list holds one row per key at most, as PostgreSQL's ON CONFLICT requires.


def _upsert(insert: Any, table: Table, counters: tuple[str, ...]) -> Any:
    """Insert a row; where a row with the same key exists, add to its ``counters``."""
    statement = insert(table)
    added = {name: table.c[name] + statement.excluded[name] for name in counters}
    return statement.on_conflict_do_update(index_elements=list(table.primary_key), set_=added)


# Built once and run with the rows as parameters: SQLAlchemy caches the compiled form of
# these, never that of an INSERT with the rows as multiple VALUES (compiled on every turn).
_UPSERTS = {
    (dialect.__name__.rsplit(".", 1)[-1], table.name): _upsert(dialect.insert, table, counters)
    for dialect in (sqlite, postgresql)
    for table, counters in ((funnel_nodes, NODE_COUNTERS), (funnel_outcomes, OUTCOME_COUNTERS))
}


async def _add(
    connection: AsyncConnection, table: Table, rows: list[dict[str, Any]], counters: tuple[str, ...]
) -> None:
    """Insert ``rows``; where a row with the same key exists, add to its ``counters``."""
    await connection.execute(_UPSERTS[connection.dialect.name, table.name], rows)

"""Migration 0008 on each database: the funnel's rows counted before it get their channel's
name as the source, new counts go per source, and going back sums the sources again."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Date, insert, select, table
from sqlalchemy import column as col
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.funnel import FunnelCounts, NodeCount, OutcomeCount
from webhook.funnel.tally import tally
from webhook.migrate import SCRIPT_LOCATION, current_revision, upgrade
from webhook.tables import funnel_nodes, funnel_outcomes

DAY = date(2026, 11, 30)
OLD_NODES = table(
    "funnel_nodes",
    col("day", Date()),
    *(col(c) for c in ("node", "locale", "channel", "reached", "stopped")),
)
OLD_OUTCOMES = table(
    "funnel_outcomes",
    col("day", Date()),
    *(col(c) for c in ("outcome", "locale", "channel", "finished")),
)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> AsyncEngine:
    engine: AsyncEngine = request.getfixturevalue(f"{request.param}_db")
    return engine


async def _downgrade(db: AsyncEngine, revision: str) -> None:
    def run(connection: Any) -> None:
        config = Config()
        config.set_main_option("script_location", SCRIPT_LOCATION)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with db.begin() as connection:
        await connection.run_sync(run)


async def _rows(db: AsyncEngine, statement: Any) -> set[tuple[Any, ...]]:
    async with db.connect() as connection:
        return {tuple(row) for row in await connection.execute(statement)}


async def test_upgrade_keeps_old_counts_under_the_channel_and_downgrade_sums_sources(
    db: AsyncEngine,
) -> None:
    await _downgrade(db, "0007")
    async with db.begin() as connection:
        await connection.execute(
            insert(OLD_NODES),
            [
                {"day": DAY, "node": "privacy", "locale": "nl", "channel": "telegram",
                 "reached": 3, "stopped": 1},
                {"day": DAY, "node": "privacy", "locale": "nl", "channel": "widget",
                 "reached": 2, "stopped": 2},
            ],
        )  # fmt: skip
        await connection.execute(
            insert(OLD_OUTCOMES),
            [
                {
                    "day": DAY,
                    "outcome": "eligible",
                    "locale": "nl",
                    "channel": "widget",
                    "finished": 4,
                }
            ],
        )
    await upgrade(db)
    assert await current_revision(db) == "0008"
    n, o = funnel_nodes.c, funnel_outcomes.c
    nodes = select(n.day, n.node, n.locale, n.channel, n.source, n.reached, n.stopped)
    outcomes = select(o.day, o.outcome, o.locale, o.channel, o.source, o.finished)
    assert await _rows(db, nodes) == {
        (DAY, "privacy", "nl", "telegram", "telegram", 3, 1),
        (DAY, "privacy", "nl", "widget", "widget", 2, 2),
    }
    assert await _rows(db, outcomes) == {(DAY, "eligible", "nl", "widget", "widget", 4)}

    counts = FunnelCounts(
        (NodeCount(DAY, "privacy", "nl", 1, 1, "poster"), NodeCount(DAY, "privacy", "nl", 1, 0)),
        (OutcomeCount(DAY, "eligible", "nl", "poster"),),
    )
    async with db.begin() as connection:
        await tally(connection, "telegram", counts)
    assert await _rows(db, nodes) == {
        (DAY, "privacy", "nl", "telegram", "telegram", 4, 1),
        (DAY, "privacy", "nl", "telegram", "poster", 1, 1),
        (DAY, "privacy", "nl", "widget", "widget", 2, 2),
    }, "the upserts use the new key: a source of its own, none added to the channel's"
    assert await _rows(db, outcomes) == {
        (DAY, "eligible", "nl", "widget", "widget", 4),
        (DAY, "eligible", "nl", "telegram", "poster", 1),
    }

    await _downgrade(db, "0007")
    assert await _rows(db, select(OLD_NODES)) == {
        (DAY, "privacy", "nl", "telegram", 5, 2),
        (DAY, "privacy", "nl", "widget", 2, 2),
    }
    assert await _rows(db, select(OLD_OUTCOMES)) == {
        (DAY, "eligible", "nl", "widget", 4),
        (DAY, "eligible", "nl", "telegram", 1),
    }
    await upgrade(db)
    assert await current_revision(db) == "0008"

"""The funnel's counts on each database: they outlive the retention job, and /metrics reads
the conversations started and finished from them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.engine import Engine
from tests.conftest import NOW
from tests.webhook.funnel_scenario import (
    KNOWN_NODES,
    KNOWN_OUTCOMES,
    counts_of,
    service_on,
    talk_known_conversations,
)
from webhook.metrics import DatabaseCollector
from webhook.retention import purge
from webhook.settings import RetentionSettings
from webhook.store import SqlConversationStore
from webhook.tables import conversations


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> AsyncEngine:
    engine: AsyncEngine = request.getfixturevalue(f"{request.param}_db")
    return engine


@pytest.fixture
async def store(db: AsyncEngine, engine: Engine) -> SqlConversationStore:
    counted = SqlConversationStore(db)
    await talk_known_conversations(service_on(counted, engine))
    return counted


async def test_retention_deletes_the_conversations_but_not_the_counts(
    db: AsyncEngine, store: SqlConversationStore
) -> None:
    report = await purge(db, RetentionSettings(), now=NOW + timedelta(days=31))
    assert report.conversations == 3, "Anna's, Cem's and Dana's (Boris's was erased at once)"
    async with db.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(conversations)) == 0
    assert await counts_of(store) == (KNOWN_NODES, KNOWN_OUTCOMES)


async def test_metrics_count_conversations_started_and_finished_without_the_source(
    db: AsyncEngine, store: SqlConversationStore
) -> None:
    collector = DatabaseCollector(db, cache_seconds=0, clock=lambda: NOW)
    await collector.refresh()
    registry = CollectorRegistry()
    registry.register(collector)
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for sample in family.samples
        if sample.name.startswith("weeraan_conversations_")
    }
    assert samples == {
        ("weeraan_conversations_started_total", (("channel", "widget"), ("language", "nl"))): 3,
        ("weeraan_conversations_started_total", (("channel", "telegram"), ("language", "en"))): 1,
        ("weeraan_conversations_started_total", (("channel", "telegram"), ("language", "nl"))): 1,
        (
            "weeraan_conversations_finished_total",
            (("channel", "widget"), ("language", "nl"), ("outcome", "none")),
        ): 1,
        (
            "weeraan_conversations_finished_total",
            (("channel", "telegram"), ("language", "en"), ("outcome", "none")),
        ): 1,
        (
            "weeraan_conversations_finished_total",
            (("channel", "telegram"), ("language", "nl"), ("outcome", "none")),
        ): 1,
    }

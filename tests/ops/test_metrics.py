"""``/metrics``: who may read it, request latency by route template, figures from the database,
and no personal data in any label."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry
from pydantic import ValidationError
from sqlalchemy import event, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.conftest import TEST_VAULT
from tests.ops.test_health import _closed_port
from tests.staff.conftest import StaffApp, book_via_widget, open_chat
from tests.webhook.test_widget_api import GENEROUS, connect, running
from webhook.db import create_engine
from webhook.metrics import DB_FAMILIES, DatabaseCollector, DbFamily, Rows, label_value
from webhook.metrics_http import METHODS
from webhook.outbox.store import enqueue
from webhook.settings import MetricsSettings, Settings
from webhook.tables import outbox

TOKEN = "metrics-token-0123456789abcdef"
NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
# Codes, methods (and Python's implementation name), status classes, route templates, numbers.
LABEL = re.compile(r"[a-z][a-z0-9_.:-]{0,31}|[A-Za-z]+|[1-5]xx|/[A-Za-z0-9_/{}.-]*|[0-9.+Inf]+")
TEMPLATE = re.compile(r"(/([a-z0-9_.-]+|\{[a-z_]+\}))+|/")
Sample = tuple[str, frozenset[tuple[str, str]]]


def samples(exposition: str) -> dict[Sample, float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def value(found: dict[Sample, float], name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def label_values(found: dict[Sample, float], name: str | None = None) -> set[tuple[str, str]]:
    return {pair for (sample, labels) in found if name in (None, sample) for pair in labels}


@pytest.fixture
async def sqlite_app(sqlite_url: str) -> AsyncIterator[Any]:
    async with running(Settings(database_url=sqlite_url, widget=GENEROUS)) as app:
        yield app


@pytest.fixture
async def token_app(sqlite_url: str) -> AsyncIterator[Any]:
    settings = Settings(database_url=sqlite_url, widget=GENEROUS, metrics={"token": TOKEN})
    async with running(settings) as app:
        yield app


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> AsyncEngine:
    """A migrated, empty database of each kind."""
    engine: AsyncEngine = request.getfixturevalue(f"{request.param}_db")
    return engine


# --- who may read it -----------------------------------------------------------------------


async def test_without_a_token_only_this_machine_reads_the_metrics(sqlite_app: Any) -> None:
    async with connect(sqlite_app) as local:
        ok = await local.get("/metrics")
        proxied = await local.get("/metrics", headers={"X-Forwarded-For": "198.51.100.4"})
        forwarded = await local.get("/metrics", headers={"Forwarded": "for=198.51.100.4"})
    async with connect(sqlite_app, ip="203.0.113.7") as remote:
        outside = await remote.get("/metrics")
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("text/plain")
    assert ok.headers["cache-control"] == "no-store"
    for refused in (proxied, forwarded, outside):
        assert refused.status_code == 403
        assert refused.json()["error"] == "forbidden"
        assert "weeraan_" not in refused.text


async def test_with_a_token_anyone_with_it_reads_and_no_one_else(token_app: Any) -> None:
    async with connect(token_app, ip="203.0.113.7") as remote:
        missing = await remote.get("/metrics")
        wrong = await remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
        basic = await remote.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
        right = await remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    async with connect(token_app) as local:
        local_without = await local.get("/metrics")
    for refused in (missing, wrong, basic, local_without):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert TOKEN not in refused.text
    assert right.status_code == 200
    assert value(samples(right.text), "weeraan_database_up") == 1.0


async def test_openmetrics_is_served_to_scrapers_that_ask_for_it(sqlite_app: Any) -> None:
    async with connect(sqlite_app) as local:
        response = await local.get(
            "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")


def test_the_token_setting_refuses_short_tokens_and_ignores_an_empty_one() -> None:
    assert MetricsSettings(token="").token is None
    assert MetricsSettings(token="  ").token is None
    with pytest.raises(ValidationError) as refused:
        Settings(metrics={"token": "hunter2"})
    assert "16 characters" in str(refused.value)
    assert "hunter2" not in str(refused.value)


# --- request latency ---------------------------------------------------------------------


async def test_latency_is_labelled_by_route_template_never_by_raw_path(sqlite_app: Any) -> None:
    async with connect(sqlite_app) as http:
        chat = await open_chat(http)
        await chat.send(option="lang:nl")
        await http.get(f"/api/chat/sessions/{chat.session_id}", headers={"Authorization": "x"})
        await http.get(f"/nothing/{chat.session_id}/{chat.token}")
        await http.request("BREW", "/healthz")
        exposition = (await http.get("/metrics")).text
    found = samples(exposition)
    count = "weeraan_http_request_duration_seconds_count"
    labels = label_values(found, count)
    for route in {v for k, v in labels if k == "route"}:
        assert route == "unmatched" or TEMPLATE.fullmatch(route), route
    assert {v for k, v in labels if k == "method"} <= METHODS | {"other"}
    assert {v for k, v in labels if k == "status"} <= {"2xx", "3xx", "4xx", "5xx"}
    sessions = "/api/chat/sessions"
    assert value(found, count, route=sessions, method="POST", status="2xx") == 1.0
    message = f"{sessions}/{{session_id}}/messages"
    assert value(found, count, route=message, method="POST", status="2xx") == 1.0
    assert value(found, count, route=f"{sessions}/{{session_id}}", method="GET", status="4xx") == 1
    assert value(found, count, route="unmatched", method="GET", status="4xx") == 1.0
    assert value(found, count, route="/healthz", method="other", status="4xx") == 1.0
    assert chat.session_id not in exposition
    assert chat.token not in exposition


# --- figures from the database -----------------------------------------------------------


async def test_bookings_call_backs_and_outbox_come_from_the_database_without_personal_data(
    any_staff_app: StaffApp,
) -> None:
    app = any_staff_app
    reference = await book_via_widget(app.http, name="Fatima de Vries", phone="06 12345678")
    await app.request_callback(resident="resident-qx7", urgent=True, phone="+31687654321")
    exposition = (await app.http.get("/metrics")).text
    found = samples(exposition)
    assert value(found, "weeraan_database_up") == 1.0
    assert value(found, "weeraan_bookings", status="active", mode="office") == 1.0
    assert value(found, "weeraan_callbacks", status="open") == 1.0
    webhook_rows = [
        count
        for (name, labels), count in found.items()
        if name == "weeraan_outbox_notifications" and ("target", "staff_webhook") in labels
    ]
    assert sum(webhook_rows) >= 2, "the booking and the call-back, for the staff webhook"
    assert value(found, "weeraan_slots_free_places", mode="office") is not None
    for personal in ("Fatima", "Vries", reference, "resident-qx7", "1315"):
        assert personal not in exposition
    for name, label in label_values(found):
        assert LABEL.fullmatch(label), (name, label)
        assert "612345678" not in label and "687654321" not in label


async def _notification(db: AsyncEngine, *, age: timedelta, **values: Any) -> None:
    async with db.begin() as connection:
        [message_id] = await enqueue(
            connection,
            event="booking.created",
            payload={"reference": "WA-TEST"},
            targets=["staff_email"],
            now=NOW - age,
            vault=TEST_VAULT,
        )
        if values:
            await connection.execute(
                update(outbox).where(outbox.c.message_id == message_id).values(**values)
            )


async def _read(collector: DatabaseCollector) -> dict[Sample, float]:
    await collector.refresh()
    registry = CollectorRegistry()
    registry.register(collector)
    return samples(generate_latest(registry).decode())


async def test_outbox_lag_dead_letters_and_failed_attempts(db: AsyncEngine) -> None:
    empty = await _read(DatabaseCollector(db, cache_seconds=0, clock=lambda: NOW))
    await _notification(db, age=timedelta(minutes=2), attempts=2)
    await _notification(db, age=timedelta(seconds=30))
    await _notification(db, age=timedelta(hours=1), status="dead", attempts=5)
    await _notification(db, age=timedelta(hours=2), status="sent", sent_at=NOW)
    found = await _read(DatabaseCollector(db, cache_seconds=0, clock=lambda: NOW))
    assert value(empty, "weeraan_outbox_lag_seconds") == 0.0
    assert value(found, "weeraan_outbox_lag_seconds") == 120.0, "the oldest pending, not dead"
    notifications = "weeraan_outbox_notifications"
    assert value(found, notifications, status="pending", target="staff_email") == 2.0
    assert value(found, notifications, status="dead", target="staff_email") == 1.0
    assert value(found, notifications, status="sent", target="staff_email") == 1.0
    assert value(found, "weeraan_outbox_failed_attempts", target="staff_email") == 7.0


async def test_one_reading_serves_every_scrape_within_the_cache_time(db: AsyncEngine) -> None:
    selects: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(db.sync_engine, "before_cursor_execute", count)
    try:
        cached = DatabaseCollector(db, cache_seconds=60, clock=lambda: NOW)
        await asyncio.gather(*(cached.refresh() for _ in range(20)))
        first = len(selects)
        await _notification(db, age=timedelta(minutes=1))
        still = await _read(cached)
        fresh = await _read(DatabaseCollector(db, cache_seconds=0, clock=lambda: NOW))
    finally:
        event.remove(db.sync_engine, "before_cursor_execute", count)
    assert first == len(DB_FAMILIES), "twenty scrapes at once, one reading"
    assert value(still, "weeraan_outbox_lag_seconds") == 0.0, "cached"
    assert value(fresh, "weeraan_outbox_lag_seconds") == 60.0


async def test_an_unreachable_database_is_reported_not_raised() -> None:
    db = create_engine(f"postgresql+asyncpg://weeraan:pw@127.0.0.1:{_closed_port()}/weeraan")
    try:
        found = await _read(DatabaseCollector(db, cache_seconds=0))
    finally:
        await db.dispose()
    assert value(found, "weeraan_database_up") == 0.0
    assert not any(name.startswith("weeraan_bookings") for name, _ in found)


async def _by_event(connection: AsyncConnection, _now: datetime) -> Rows:
    query = text("SELECT event, target, count(*) FROM outbox GROUP BY event, target")
    return (await connection.execute(query)).all()


async def _broken(connection: AsyncConnection, _now: datetime) -> Rows:
    return (await connection.execute(text("SELECT count(*) FROM no_such_table"))).all()


async def test_a_new_family_is_one_entry_and_a_broken_one_hides_no_other(db: AsyncEngine) -> None:
    families = [
        DbFamily("weeraan_test_broken", "a figure over a missing table", (), _broken),
        DbFamily("weeraan_test_events", "by event", ("event", "target"), _by_event, "counter"),
        *DB_FAMILIES,
    ]
    await _notification(db, age=timedelta(minutes=1))
    collector = DatabaseCollector(db, cache_seconds=0, families=families, clock=lambda: NOW)
    found = await _read(collector)
    assert value(found, "weeraan_database_up") == 1.0
    assert value(found, "weeraan_metrics_family_errors", family="weeraan_test_broken") == 1.0
    events = "weeraan_test_events_total"
    assert value(found, events, event="booking.created", target="staff_email") == 1.0
    assert value(found, "weeraan_outbox_lag_seconds") == 60.0


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("active", "active"),
        ("staff_email", "staff_email"),
        ("nl", "nl"),
        (None, "none"),
        ("Fatima de Vries", "other"),
        ("0612345678", "other"),
        ("+31612345678", "other"),
        ("fatima@example.nl", "other"),
        ("WA-7KQ2", "other"),
        ("x" * 40, "other"),
    ],
)
def test_label_values_are_codes_or_other(raw: object, shown: str) -> None:
    assert label_value(raw) == shown


def test_metrics_names_are_prometheus_names() -> None:
    for family in DB_FAMILIES:
        assert re.fullmatch(r"weeraan_[a-z_]+", family.name)
        assert not family.name.endswith("_total"), "counters get the suffix from the library"

"""Figures read from the database when Prometheus scrapes, so every instance tells the same truth.

Several ``weeraan serve`` processes may share one PostgreSQL: a counter kept in one process
would show only that process's share, and would start again at zero after a restart. Business
figures (bookings, call-backs, the outbox) are therefore read from the tables at scrape time
with cheap aggregate queries, at most once per ``WEERAAN_METRICS__CACHE_SECONDS`` per process
(``DatabaseCollector``), so frequent scrapes cannot hammer the database. Request latency is
per process and lives in ``webhook.metrics_http``.

**Adding a figure** is one entry in ``DB_FAMILIES`` below:

1. write ``async def my_rows(connection, now) -> Rows`` returning one tuple per series,
   ``(label value, ..., value)``, from one aggregate query (``GROUP BY`` the labels);
2. add ``DbFamily("weeraan_<name>", "help text", ("label", ...), my_rows)``; a ``counter``
   (``kind="counter"``, exposed with the suffix ``_total``) must never decrease, so figures
   over rows that retention deletes are gauges.

The collector runs every family in one connection; a family that fails is left out of that
scrape (``weeraan_metrics_family_errors`` says which), the others still show.

Label values are codes from fixed sets (a status, a mode, a target, a language code, a
channel), never anything a resident typed, nor a conversation's source (anyone can make up a
deep link, so its values are unbounded; the funnel page shows sources, capped);
``label_value`` turns whatever does not look like a code into ``other``, and the values are
never ids, references, names or numbers of people.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from dialogs.funnel import STARTED
from webhook.booking.times import utc
from webhook.tables import (
    bookings,
    callback_requests,
    funnel_nodes,
    funnel_outcomes,
    outbox,
    slots,
)

log = logging.getLogger(__name__)

Rows = Sequence[Sequence[Any]]
Query = Callable[[AsyncConnection, datetime], Awaitable[Rows]]
READ_TIMEOUT_SECONDS = 5.0
_CODE = re.compile(r"[a-z][a-z0-9_.:-]{0,31}")


def label_value(value: object) -> str:
    """A code as it is (``active``, ``staff_email``, ``nl``); anything else ``other``."""
    text = str(value) if value is not None else "none"
    return text if _CODE.fullmatch(text) else "other"


@dataclass(frozen=True)
class DbFamily:
    """One metric family whose series come from one aggregate query."""

    name: str
    help: str
    labels: tuple[str, ...]
    query: Query
    kind: Literal["gauge", "counter"] = "gauge"

    def family(self, rows: Rows) -> Metric:
        """The rows as a metric family; rows whose labels collapse to ``other`` are summed."""
        values: dict[tuple[str, ...], float] = {}
        for *labels, value in rows:
            key = tuple(label_value(label) for label in labels)
            values[key] = values.get(key, 0.0) + float(value or 0)
        kind = GaugeMetricFamily if self.kind == "gauge" else CounterMetricFamily
        metric = kind(self.name, self.help, labels=list(self.labels))
        for key, value in sorted(values.items()):
            metric.add_metric(list(key), value)
        return metric


async def _bookings(connection: AsyncConnection, _now: datetime) -> Rows:
    query = select(bookings.c.status, bookings.c.mode, func.count()).group_by(
        bookings.c.status, bookings.c.mode
    )
    return (await connection.execute(query)).all()


async def _free_places(connection: AsyncConnection, now: datetime) -> Rows:
    query = (
        select(slots.c.mode, func.coalesce(func.sum(slots.c.capacity - slots.c.booked), 0))
        .where(slots.c.starts_at > now, slots.c.closed.is_(False))
        .group_by(slots.c.mode)
    )
    return (await connection.execute(query)).all()


async def _callbacks(connection: AsyncConnection, _now: datetime) -> Rows:
    query = select(callback_requests.c.status, func.count()).group_by(callback_requests.c.status)
    return (await connection.execute(query)).all()


async def _outbox_rows(connection: AsyncConnection, _now: datetime) -> Rows:
    query = select(outbox.c.status, outbox.c.target, func.count()).group_by(
        outbox.c.status, outbox.c.target
    )
    return (await connection.execute(query)).all()


async def _outbox_failed_attempts(connection: AsyncConnection, _now: datetime) -> Rows:
    """Every counted attempt failed (a delivery marks the row sent without counting)."""
    query = select(outbox.c.target, func.coalesce(func.sum(outbox.c.attempts), 0)).group_by(
        outbox.c.target
    )
    return (await connection.execute(query)).all()


async def _outbox_lag(connection: AsyncConnection, now: datetime) -> Rows:
    query = select(func.min(outbox.c.created_at)).where(outbox.c.status == "pending")
    oldest = (await connection.execute(query)).scalar()
    return [((now - utc(oldest)).total_seconds() if oldest else 0.0,)]


async def _conversations_started(connection: AsyncConnection, _now: datetime) -> Rows:
    """From the funnel's counters, which retention and erasure leave alone: never lower."""
    c = funnel_nodes.c
    query = (
        select(c.locale, c.channel, func.sum(c.reached))
        .where(c.node == STARTED)
        .group_by(c.locale, c.channel)
    )
    return (await connection.execute(query)).all()


async def _conversations_finished(connection: AsyncConnection, _now: datetime) -> Rows:
    o = funnel_outcomes.c
    query = select(o.outcome, o.locale, o.channel, func.sum(o.finished)).group_by(
        o.outcome, o.locale, o.channel
    )
    return (await connection.execute(query)).all()


DB_FAMILIES: list[DbFamily] = [
    DbFamily(
        "weeraan_bookings",
        "Bookings in the database by status (active, cancelled, attended, no_show) and mode",
        ("status", "mode"),
        _bookings,
    ),
    DbFamily(
        "weeraan_slots_free_places",
        "Places still free in open slots that have not begun, by mode",
        ("mode",),
        _free_places,
    ),
    DbFamily(
        "weeraan_callbacks",
        "Call-back requests in the database by status (kept for the retention period)",
        ("status",),
        _callbacks,
    ),
    DbFamily(
        "weeraan_outbox_notifications",
        "Notifications in the outbox by status (pending, sent, dead = given up) and target",
        ("status", "target"),
        _outbox_rows,
    ),
    DbFamily(
        "weeraan_outbox_failed_attempts",
        "Failed delivery attempts of the notifications still kept in the outbox, by target",
        ("target",),
        _outbox_failed_attempts,
    ),
    DbFamily(
        "weeraan_outbox_lag_seconds",
        "Age of the oldest notification not yet delivered (0 when none waits)",
        (),
        _outbox_lag,
    ),
    DbFamily(
        "weeraan_conversations_started",
        "Conversations started, by the language they began in and channel",
        ("language", "channel"),
        _conversations_started,
        kind="counter",
    ),
    DbFamily(
        "weeraan_conversations_finished",
        "Ends reached by conversations, by outcome (none: before the decision), language and"
        " channel",
        ("outcome", "language", "channel"),
        _conversations_finished,
        kind="counter",
    ),
]
"""Every figure read from the database; add new ones here (see the module's docstring)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DatabaseCollector(Collector):
    """Serves the last reading of ``families``; ``refresh`` reads again when it is stale.

    Prometheus' ``collect`` is synchronous and the database is async, so the ``/metrics``
    route awaits ``refresh`` first and the registry then collects the cached reading.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        cache_seconds: float,
        families: Sequence[DbFamily] = tuple(DB_FAMILIES),
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._engine, self._families, self._clock = engine, tuple(families), clock
        self._cache_seconds = cache_seconds
        self._read_at: float | None = None
        self._reading: list[Metric] = []
        self._failed: list[str] = []
        self._up = 0.0
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        read_at = self._read_at
        return read_at is not None and time.monotonic() - read_at < self._cache_seconds

    async def refresh(self) -> None:
        """Read every family unless the last reading is fresh; one reader at a time."""
        if self._fresh():
            return
        async with self._lock:
            if self._fresh():
                return
            try:
                async with asyncio.timeout(READ_TIMEOUT_SECONDS):
                    self._reading, self._failed = await self._read()
                self._up = 1.0
            except Exception as exc:  # the scrape must answer even when the database is down
                log.warning("metrics: the database could not be read (%s)", type(exc).__name__)
                self._reading, self._failed, self._up = [], [], 0.0
            self._read_at = time.monotonic()

    async def _read(self) -> tuple[list[Metric], list[str]]:
        reading, failed = [], []
        now = self._clock()
        async with self._engine.connect() as connection:
            for family in self._families:
                try:
                    async with connection.begin_nested():
                        reading.append(family.family(await family.query(connection, now)))
                except Exception as exc:  # one broken figure must not hide the others
                    log.warning("metrics: %s failed (%s)", family.name, type(exc).__name__)
                    failed.append(family.name)
        return reading, failed

    def collect(self) -> Iterator[Metric]:
        yield from self._reading
        yield GaugeMetricFamily(
            "weeraan_database_up",
            "1 when the last reading of the database figures succeeded, else 0",
            value=self._up,
        )
        errors = GaugeMetricFamily(
            "weeraan_metrics_family_errors",
            "1 for a database figure that failed in the last reading",
            labels=["family"],
        )
        for name in self._failed:
            errors.add_metric([name], 1.0)
        yield errors

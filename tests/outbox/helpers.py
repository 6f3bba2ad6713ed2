"""Shared test parts: a clock the test turns, payloads, outbox rows, a fake target, servers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from webhook.crypto import Vault
from webhook.db import writer
from webhook.outbox import messages as m
from webhook.outbox.claims import as_utc
from webhook.outbox.delivery import OutboxMessage
from webhook.outbox.store import Event, Target, enqueue
from webhook.tables import outbox

NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


class ManualClock:
    """Time stands still until the test moves it."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class English:
    """A translator with English texts for some resident msgids (real catalogs come later)."""

    TEXTS: ClassVar[dict[str, str]] = {
        m.SUBJECTS["confirmation"]: "Your appointment is confirmed ({reference})",
        m.SUBJECTS["cancellation"]: "Your appointment is cancelled ({reference})",
        m.OPENINGS["confirmation"]: "Your appointment about debt help is confirmed.",
        m.OPENINGS["cancellation"]: "Your appointment about debt help is cancelled.",
        m.OPENINGS["reminder"]: "This is a reminder of your appointment about debt help.",
        m.WHEN: "When: {date} at {time}",
        m.WHERE: "Where: {place}",
        m.REFERENCE: "Your appointment number: {reference}",
        m.CALENDAR_SUMMARY: "Debt help appointment ({reference})",
    }

    def gettext(self, locale: str, msgid: str) -> str:
        return self.TEXTS.get(msgid, msgid) if locale == "en" else msgid


def booking_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "reference": "WA-7K3Q",
        "starts_at": "2026-12-07T09:00:00+00:00",
        "ends_at": "2026-12-07T09:45:00+00:00",
        "mode": "office",
        "name": "Fatima de Vries",
        "phone": "+31612345678",
        "email": "fatima@example.org",
        "language": "uk",
        "channel": "telegram",
        "outcome": "eligible",
        "reasons": ["lives_in_almere", "cut_off", "supplier_vattenfall"],
        "urgent": True,
        "situation": "cut_off",
        "energy": "both",
        "supplier": "vattenfall",
        "created_at": "2026-11-30T09:30:00+00:00",
        "address": "Voorbeeldstraat 1, Almere",
    }
    payload.update(overrides)
    return payload


def callback_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": 17,
        "phone": "+31687654321",
        "part_of_day": "morning",
        "urgent": False,
        "outcome": "intake_needed",
        "reasons": ["unclear"],
        "situation": "letter",
        "energy": "gas",
        "supplier": "unknown",
        "language": "nl",
        "channel": "widget",
        "created_at": "2026-11-30T09:30:00+00:00",
    }
    payload.update(overrides)
    return payload


def resident_payload(kind: str = "confirmation", **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "kind": kind,
        "to": "fatima@example.org",
        "locale": "en",
        "reference": "WA-7K3Q",
        "starts_at": "2026-12-07T09:00:00+00:00",
        "ends_at": "2026-12-07T09:45:00+00:00",
        "mode": "office",
        "address": "Voorbeeldstraat 1, Almere",
        "sequence": 0,
        "method": "CANCEL" if kind == "cancellation" else "REQUEST",
    }
    payload.update(overrides)
    return payload


async def put(
    db: AsyncEngine,
    *,
    event: Event = "booking.created",
    payload: dict[str, Any] | None = None,
    targets: Iterable[Target] = ("staff_webhook",),
    now: datetime = NOW,
) -> list[str]:
    """Write outbox rows as the booking code does: in a transaction of their own here."""
    async with writer(db).begin() as connection:
        return await enqueue(
            connection,
            event=event,
            payload=booking_payload() if payload is None else payload,
            targets=targets,
            now=now,
            vault=Vault.unkeyed(),
        )


async def rows(db: AsyncEngine) -> list[dict[str, Any]]:
    async with db.connect() as connection:
        result = await connection.execute(select(outbox).order_by(outbox.c.id))
        found = [dict(row) for row in result.mappings()]
    for row in found:
        for key in ("next_attempt_at", "locked_until", "created_at", "sent_at"):
            if row[key] is not None:
                row[key] = as_utc(row[key])
    return found


async def one_row(db: AsyncEngine) -> dict[str, Any]:
    (row,) = await rows(db)
    return row


Outcome = BaseException | Callable[[OutboxMessage], Awaitable[None]] | None


class FakeTarget:
    """A target that accepts, or fails as scripted; fails loudly when called past its script."""

    def __init__(self, *script: Outcome, default: Outcome | str = "fail-loudly") -> None:
        self.script = list(script)
        self.default = default
        self.received: list[OutboxMessage] = []

    async def deliver(self, message: OutboxMessage) -> None:
        self.received.append(message)
        if self.script:
            outcome = self.script.pop(0)
        elif self.default == "fail-loudly":
            raise AssertionError(f"unexpected delivery of {message.message_id}")
        else:
            outcome = self.default  # type: ignore[assignment]
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome is not None:
            await outcome(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def serving(app: web.Application, port: int = 0) -> AsyncIterator[str]:
    """Run an aiohttp app on 127.0.0.1; yields its base URL."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    host, bound = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{bound}"
    finally:
        await runner.cleanup()


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110 - the database has no event to wait on
            await asyncio.sleep(0.02)

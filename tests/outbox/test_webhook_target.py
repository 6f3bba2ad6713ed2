"""The signed webhook against a real receiver on 127.0.0.1 that verifies every delivery."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook, WebhookVerificationError

from tests.outbox.helpers import NOW, ManualClock, booking_payload, free_port, one_row, put, serving
from webhook.outbox.webhook_target import WebhookTarget, parse_retry_after
from webhook.outbox.worker import OutboxWorker

SECRET = "whsec_" + base64.b64encode(b"weeraan-test-secret-32-bytes-lng").decode()


@dataclass
class Receiver:
    """Answers from a script of (status, headers); records what verified and what did not."""

    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    hold: asyncio.Event | None = None
    verified: list[tuple[str, Any]] = field(default_factory=list)
    rejected: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.arrived.set()
        try:
            data = Webhook(SECRET).verify(body, dict(request.headers))
        except WebhookVerificationError:
            self.rejected += 1
            return web.Response(status=401)
        self.verified.append((request.headers["webhook-id"], data))
        assert request.headers["content-type"] == "application/json"
        if self.hold is not None:
            await asyncio.wait_for(self.hold.wait(), 30)
        status, headers = self.script.pop(0) if self.script else (200, {})
        return web.Response(status=status, headers=headers)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hooks/weeraan", self.handle)
        return app


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
async def url(receiver: Receiver) -> AsyncIterator[str]:
    async with serving(receiver.app()) as base:
        yield f"{base}/hooks/weeraan"
    if receiver.hold is not None:
        receiver.hold.set()


def worker(db: AsyncEngine, target: WebhookTarget, clock: ManualClock, **kw: Any) -> OutboxWorker:
    return OutboxWorker(db, {"staff_webhook": target}, clock=clock, **kw)


async def test_500_then_200_delivers_with_the_same_webhook_id(
    sqlite_db: AsyncEngine, receiver: Receiver, url: str
) -> None:
    receiver.script = [(500, {})]
    clock = ManualClock()
    (message_id,) = await put(sqlite_db, payload=booking_payload(), targets=["staff_webhook"])
    target = WebhookTarget(url, SECRET)
    w = worker(sqlite_db, target, clock)
    try:
        assert await w.run_once() == 1
        row = await one_row(sqlite_db)
        assert (row["status"], row["last_error"]) == ("pending", "webhook HTTP 500")
        clock.advance(timedelta(seconds=5))
        assert await w.run_once() == 1
    finally:
        await target.aclose()

    assert receiver.rejected == 0
    assert [webhook_id for webhook_id, _ in receiver.verified] == [message_id, message_id]
    first, second = (data for _, data in receiver.verified)
    assert first == second, "the same body on every retry"
    assert first["type"] == "booking.created"
    assert first["timestamp"] == NOW.isoformat()
    assert first["data"] == booking_payload()
    assert (await one_row(sqlite_db))["status"] == "sent"


async def test_429_with_retry_after_is_honoured(
    sqlite_db: AsyncEngine, receiver: Receiver, url: str
) -> None:
    receiver.script = [(429, {"Retry-After": "300"})]
    clock = ManualClock()
    await put(sqlite_db)
    target = WebhookTarget(url, SECRET)
    w = worker(sqlite_db, target, clock)
    try:
        assert await w.run_once() == 1
        assert (await one_row(sqlite_db))["next_attempt_at"] >= NOW + timedelta(seconds=300)
        clock.advance(timedelta(seconds=299))
        assert await w.run_once() == 0
        clock.advance(timedelta(seconds=1))
        assert await w.run_once() == 1
    finally:
        await target.aclose()
    assert (await one_row(sqlite_db))["status"] == "sent"


async def test_a_client_error_keeps_failing_until_dead(
    sqlite_db: AsyncEngine, receiver: Receiver, url: str
) -> None:
    receiver.script = [(404, {}), (404, {})]
    clock = ManualClock()
    await put(sqlite_db)
    target = WebhookTarget(url, SECRET)
    w = worker(sqlite_db, target, clock, max_attempts=2)
    try:
        assert await w.run_once() == 1
        clock.advance(timedelta(hours=1))
        assert await w.run_once() == 1
        clock.advance(timedelta(days=1))
        assert await w.run_once() == 0
    finally:
        await target.aclose()
    row = await one_row(sqlite_db)
    assert (row["status"], row["attempts"], row["last_error"]) == ("dead", 2, "webhook HTTP 404")


async def test_redirects_are_not_followed(
    sqlite_db: AsyncEngine, receiver: Receiver, url: str
) -> None:
    receiver.script = [(307, {"Location": "http://127.0.0.1:9/elsewhere"})]
    await put(sqlite_db)
    target = WebhookTarget(url, SECRET)
    try:
        assert await worker(sqlite_db, target, ManualClock()).run_once() == 1
    finally:
        await target.aclose()
    assert (await one_row(sqlite_db))["last_error"] == "webhook HTTP 307"


async def test_an_unreachable_receiver_is_a_retryable_failure(sqlite_db: AsyncEngine) -> None:
    await put(sqlite_db)
    target = WebhookTarget(f"http://127.0.0.1:{free_port()}/hooks", SECRET)
    try:
        assert await worker(sqlite_db, target, ManualClock()).run_once() == 1
    finally:
        await target.aclose()
    row = await one_row(sqlite_db)
    assert (row["status"], row["last_error"]) == ("pending", "webhook unreachable (ConnectError)")


async def test_a_slow_receiver_times_out(
    sqlite_db: AsyncEngine, receiver: Receiver, url: str
) -> None:
    receiver.hold = asyncio.Event()
    await put(sqlite_db)
    target = WebhookTarget(url, SECRET, timeout=0.3)
    try:
        assert await worker(sqlite_db, target, ManualClock()).run_once() == 1
    finally:
        await target.aclose()
        receiver.hold.set()
    assert (await one_row(sqlite_db))["last_error"] == "webhook timeout"


@pytest.mark.usefixtures("quiet")
async def test_logs_name_the_message_not_the_url_or_the_resident(
    sqlite_db: AsyncEngine, receiver: Receiver, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.script = [(500, {})]
    clock = ManualClock()
    (message_id,) = await put(sqlite_db)
    target = WebhookTarget(f"{url}?key=URLSECRET", SECRET)
    w = worker(sqlite_db, target, clock)
    try:
        await w.run_once()
        clock.advance(timedelta(seconds=5))
        await w.run_once()
    finally:
        await target.aclose()
    assert message_id in caplog.text
    for secret in ("URLSECRET", "Fatima", "+31612345678", "fatima@example.org", SECRET):
        assert secret not in caplog.text


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120
    assert parse_retry_after("Mon, 30 Nov 2026 09:32:00 GMT", now=now) == 120
    assert parse_retry_after("Mon, 30 Nov 2026 09:00:00 GMT", now=now) == 0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None, now=now) is None

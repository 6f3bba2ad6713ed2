"""kill -9 in the middle of a delivery loses nothing: the lease runs out, the row goes again."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.outbox.helpers import one_row, put, serving
from tests.outbox.test_webhook_target import SECRET, Receiver
from webhook.outbox.webhook_target import WebhookTarget
from webhook.outbox.worker import OutboxWorker

ROOT = Path(__file__).resolve().parents[2]
LEASE = 3.0


def real_now() -> datetime:
    return datetime.now(UTC)


@pytest.mark.slow
async def test_a_worker_killed_mid_delivery_loses_nothing(
    sqlite_url: str, sqlite_db: AsyncEngine
) -> None:
    (message_id,) = await put(sqlite_db, now=real_now())
    held = asyncio.Event()
    receiver = Receiver(hold=held)
    async with serving(receiver.app()) as base:
        url = f"{base}/hooks/weeraan"
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.outbox.crash_worker",
            sqlite_url,
            url,
            SECRET,
            str(LEASE),
            cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await asyncio.wait_for(receiver.arrived.wait(), 30)
        finally:
            os.kill(process.pid, signal.SIGKILL)
            _, stderr = await asyncio.wait_for(process.communicate(), 10)
            held.set()  # the first request's handler may finish now: nobody is listening
        assert process.returncode == -signal.SIGKILL, stderr.decode(errors="replace")

        # The receiver got the request but never answered; the row still holds its lease.
        row = await one_row(sqlite_db)
        assert (row["status"], row["attempts"], row["sent_at"]) == ("pending", 0, None)
        assert row["locked_until"] is not None and row["locked_until"] > real_now()

        receiver.hold = None
        target = WebhookTarget(url, SECRET)
        worker = OutboxWorker(sqlite_db, {"staff_webhook": target}, clock=real_now)
        try:
            assert await worker.run_once() == 0, "the lease is still live"
            await asyncio.sleep((row["locked_until"] - real_now()).total_seconds() + 0.05)
            assert await worker.run_once() == 1
        finally:
            await target.aclose()

    assert (await one_row(sqlite_db))["status"] == "sent"
    assert [webhook_id for webhook_id, _ in receiver.verified] == [message_id, message_id]
    assert receiver.rejected == 0

"""A worker in a process of its own, for the kill -9 test: one round against a signed webhook.

Usage: python -m tests.outbox.crash_worker DATABASE_URL WEBHOOK_URL SECRET LEASE_SECONDS
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta

from webhook.db import create_engine
from webhook.outbox.webhook_target import WebhookTarget
from webhook.outbox.worker import OutboxWorker


async def main(database_url: str, webhook_url: str, secret: str, lease: float) -> None:
    engine = create_engine(database_url)
    target = WebhookTarget(webhook_url, secret, timeout=60)
    worker = OutboxWorker(
        engine,
        {"staff_webhook": target},
        clock=lambda: datetime.now(UTC),
        lease=timedelta(seconds=lease),
    )
    try:
        await worker.run_once()
    finally:
        await target.aclose()
        await engine.dispose()


if __name__ == "__main__":
    url, hook, key, seconds = sys.argv[1:5]
    asyncio.run(main(url, hook, key, float(seconds)))

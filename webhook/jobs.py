"""Background work of ``weeraan serve``: deliver the outbox, send reminders, keep slots ahead,
apply the retention limits (``webhook.retention``, hourly).

Reminders, slots and retention run one round at a time across all processes on one
PostgreSQL (``webhook.joblock``); the outbox worker claims rows with SKIP LOCKED instead.

Each job runs in its own task; a failing round is logged (without personal data) and tried
again, so a database restart or a dead SMTP server never stops the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.ports import Translator
from webhook.booking.config import BookingConfig
from webhook.booking.reminders import send_due_reminders
from webhook.booking.schedule_job import ensure_slots
from webhook.joblock import exclusive
from webhook.outbox.targets import build_deliverers, close_deliverers, quiet_leaky_loggers
from webhook.outbox.telegram_target import Keyboard
from webhook.outbox.worker import OutboxWorker
from webhook.retention import PURGE_EVERY, purge_job
from webhook.settings import Settings

log = logging.getLogger(__name__)
REMINDER_EVERY = 300.0
SLOTS_EVERY = 3600.0
STOP_GRACE = 55.0
"""Seconds a delivery in flight may take to finish at shutdown (the worker gives up at 80%
of its 60 s lease, so nothing is delivered twice)."""


async def _every(
    stop: asyncio.Event,
    seconds: float,
    name: str,
    job: Callable[[], Awaitable[object]],
    *,
    wait_first: bool = False,
) -> None:
    if wait_first:  # the start-up did this round already
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
    while not stop.is_set():
        try:
            await job()
        except Exception as exc:  # keep going: the next round may work
            log.warning("%s failed: %s", name, type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)


@asynccontextmanager
async def background_jobs(
    *,
    settings: Settings,
    db: AsyncEngine,
    config: BookingConfig,
    translator: Translator,
    clock: Callable[[], datetime],
    bot: Bot | None = None,
    staff_keyboard: Keyboard | None = None,
) -> AsyncIterator[OutboxWorker]:
    """Run the jobs while the block runs; stop them cleanly after it."""
    quiet_leaky_loggers()
    deliverers = build_deliverers(settings, translator, bot=bot, staff_keyboard=staff_keyboard)
    worker = OutboxWorker(db, deliverers, clock=clock, vault=config.vault)
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(worker.run_forever(stop), name="outbox"),
        asyncio.create_task(
            _every(
                stop,
                REMINDER_EVERY,
                "reminders",
                exclusive(db, "reminders", lambda: send_due_reminders(db, config, now=clock())),
            ),
            name="reminders",
        ),
        asyncio.create_task(
            _every(
                stop,
                SLOTS_EVERY,
                "slots",
                exclusive(db, "slots", lambda: ensure_slots(db, config, now=clock())),
                wait_first=True,  # open_backend made the slots at start-up
            ),
            name="slots",
        ),
        asyncio.create_task(
            _every(
                stop,
                PURGE_EVERY,
                "retention",
                exclusive(db, "retention", purge_job(db, settings.retention, clock)),
            ),
            name="retention",
        ),
    ]
    try:
        yield worker
    finally:
        stop.set()
        _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await close_deliverers(deliverers)

"""A storm of Telegram 429s: every notification arrives once, the waits asked for were kept,
and the per-chat and per-group limits held.

The outbox worker delivers to the caseworkers' group through ``build_deliverers`` and
``make_bot`` (the real throttled ``Sender``) against the fake Bot API, which answers the first
``STORM`` sends with 429 and ``retry_after`` 1 s, then accepts. The sender waits out a few
429s itself, then gives the rest back to the worker, which reschedules the row no sooner
than Telegram asked.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fakes.telegram_api import TOKEN, Call, FakeBotApi, RetryAfter
from tests.outbox.helpers import English, booking_payload, put, rows
from webhook.outbox.targets import build_deliverers, close_deliverers
from webhook.outbox.telegram_target import make_bot
from webhook.outbox.worker import OutboxWorker
from webhook.settings import Settings, TelegramSettings
from webhook.telegram.sender import RetryPolicy, SendLimits

STAFF_CHAT = -1001234567890
STORM = 7
RETRY_AFTER = 1
MESSAGES = 6
LIMITS = SendLimits(
    per_second=30, per_chat_per_second=4.0, per_chat_burst=2, per_group=3, group_window=1.0
)
RETRY = RetryPolicy(max_429_retries=2, backoff=(0.01, 0.01))
JITTER = 0.05  # seconds between the sender counting a send and the fake receiving it


def real_now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def api_base() -> AsyncIterator[tuple[FakeBotApi, str]]:
    api = FakeBotApi()
    async with api.serve() as base:
        yield api, base
    assert api.unknown == []


def most_in_any_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


async def test_a_storm_of_429s_delivers_everything_once_within_the_limits(
    sqlite_db: AsyncEngine, api_base: tuple[FakeBotApi, str]
) -> None:
    api, base = api_base
    api.script("sendMessage", *[RetryAfter(RETRY_AFTER)] * STORM)
    telegram = TelegramSettings(token=SecretStr(TOKEN), api_base=base, staff_chat_id=STAFF_CHAT)
    settings = Settings(telegram=telegram)
    bot = make_bot(settings.telegram, limits=LIMITS, retry=RETRY)
    deliverers = build_deliverers(settings, English(), bot=bot)
    references = [f"WA-{i}S{i}Q" for i in range(MESSAGES)]
    for reference in references:
        await put(
            sqlite_db,
            payload=booking_payload(reference=reference),
            targets=["staff_telegram"],
            now=real_now(),
        )
    worker = OutboxWorker(
        sqlite_db,
        {"staff_telegram": deliverers["staff_telegram"]},
        clock=real_now,
        base_delay=timedelta(milliseconds=50),
        rng=random.Random(7),
    )
    try:
        async with asyncio.timeout(30):
            while any(row["status"] != "sent" for row in await rows(sqlite_db)):
                await worker.run_once()
                await asyncio.sleep(0.05)
    finally:
        await close_deliverers(deliverers)

    calls = api.calls_to("sendMessage")
    refused = [call for call in calls if call.answer == "429"]
    accepted = [call for call in calls if call.answer == "ok"]
    assert len(refused) == STORM
    assert len(accepted) == MESSAGES

    # Delivered exactly once each.
    def reference_of(call: Call) -> str:
        (found,) = [r for r in references if r in call["text"]]
        return found

    assert sorted(reference_of(call) for call in accepted) == sorted(references)
    stored = await rows(sqlite_db)
    assert [row["status"] for row in stored] == ["sent"] * MESSAGES
    assert any(row["attempts"] > 0 for row in stored), "the worker retried some rows as well"

    # Every retry after a 429 came no sooner than Telegram asked.
    for before, after in itertools.pairwise(calls):
        if before.answer == "429":
            assert after.at - before.at >= RETRY_AFTER - 0.01

    # The limits held for every request to the group (429s count too).
    times = [call.at for call in calls]
    assert most_in_any_window(times, LIMITS.group_window - JITTER) <= LIMITS.per_group
    accepted_times = [call.at for call in accepted]
    assert most_in_any_window(accepted_times, LIMITS.group_window - JITTER) <= LIMITS.per_group
    for i, start in enumerate(times):
        for j in range(i + 1, len(times)):
            allowed = LIMITS.per_chat_burst + (times[j] - start + JITTER) * (
                LIMITS.per_chat_per_second
            )
            assert j - i + 1 <= allowed, "per-chat pace exceeded"
    # The group limit made sends wait: six accepted ones cannot all fit one window.
    assert accepted_times[-1] - accepted_times[0] >= LIMITS.group_window - JITTER

"""PostgreSQL restarted while residents talk to the bot over Telegram.

A real ``weeraan serve`` on a PostgreSQL server of the test's own; a fake Telegram delivers
updates for a dozen residents the way Telegram does: one chat's updates in order, and an
update that was not answered with 200 delivered again, with the same ``update_id``. Half-way
the server is stopped (fast: open connections are cut) and started again.

Shows: while the database is away the bot answers with clean errors (5xx, JSON, a
``Retry-After``; never a dropped connection or a traceback), it recovers on its own once
the database is back, and every update is handled exactly once: each resident ends in the
same state as a resident who met no fault, and no update is left failed or poisoned.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from dialogs.state import ConversationState
from tests.conftest import TEST_KEY, TEST_VAULT
from tests.fakes.telegram_api import TOKEN, FakeBotApi
from tests.faults.pg_cluster import Cluster, bindir, own_cluster
from tests.outbox.helpers import free_port
from tests.servers import ready, serve, stop, upgrade
from tests.telegram.test_webhook import AFTER_POSTCODE, SECRET_HEADER, TO_POSTCODE, WEBHOOK
from tests.telegram.test_webhook import Resident as TelegramResident
from webhook.db import create_engine
from webhook.tables import conversations, telegram_updates

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SECRET = "restart-secret"
RESIDENTS = 12
ROUNDS = 3
SCRIPT = ["/start", *TO_POSTCODE, "1315 AB 12", *AFTER_POSTCODE]
OUTAGE = 1.5  # seconds between stop and start
PATIENCE = 120.0  # seconds a delivery may take, retries included


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if not os.environ.get("WEERAAN_TEST_POSTGRES_URL") and os.environ.get("CI") != "true":
        pytest.skip("WEERAAN_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped")
    if bindir() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no PostgreSQL server binaries (initdb, pg_ctl) were found")
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl): cannot restart a server")
    with own_cluster(free_port()) as started:
        yield started


@pytest.fixture
async def api() -> AsyncIterator[tuple[FakeBotApi, str]]:
    fake = FakeBotApi(token=TOKEN)
    async with fake.serve() as base:
        yield fake, base


def _env(database_url: str, api_base: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEERAAN_")}
    env.update(
        {
            "WEERAAN_DATABASE_URL": database_url,
            "WEERAAN_KEYS": TEST_KEY,
            "WEERAAN_LOG_LEVEL": "WARNING",
            "WEERAAN_TELEGRAM__TOKEN": TOKEN,
            "WEERAAN_TELEGRAM__WEBHOOK_SECRET": SECRET,
            "WEERAAN_TELEGRAM__API_BASE": api_base,
            "WEERAAN_TELEGRAM__RATE_PER_USER_MINUTE": "100000",
            "WEERAAN_TELEGRAM__RATE_PER_CHAT": "1000",
            "WEERAAN_TELEGRAM__RATE_GLOBAL": "1000",
            "WEERAAN_SCHEDULE__DAYS": "mon,tue,wed,thu,fri,sat,sun",
            "WEERAAN_SCHEDULE__HOURS": "08:00-20:00",
        }
    )
    return env


@pytest.fixture
async def server(
    cluster: Cluster, api: tuple[FakeBotApi, str], tmp_path: Path
) -> AsyncIterator[tuple[str, Path]]:
    env = _env(cluster.url, api[1])
    upgrade(env)
    port, log = free_port(), tmp_path / "serve.log"
    process = serve(env, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        await ready(base, process, log)
        yield base, log
        assert process.poll() is None, f"the server died:\n{log.read_text()[-3000:]}"
    finally:
        stop(process)


@dataclass
class Deliveries:
    """What the fake Telegram saw: every answer that was not a 200."""

    refused: list[tuple[int, str, str | None]] = field(default_factory=list)
    """(status, body, Retry-After) of each answer other than 200."""
    dropped: list[str] = field(default_factory=list)
    """Transport errors: a connection reset or refused, a timeout."""
    delivered: list[int] = field(default_factory=list)
    restart_after: int = 0
    due: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once ``restart_after`` updates were accepted."""

    def accepted(self, update_id: int) -> None:
        self.delivered.append(update_id)
        if len(self.delivered) >= self.restart_after:
            self.due.set()


class Resident(TelegramResident):
    """A resident whose updates Telegram delivers again until the bot answers 200."""

    def __init__(self, http: httpx.AsyncClient, fake: FakeBotApi, user_id: int, seen: Deliveries):
        super().__init__(http, fake, user_id=user_id)
        self.seen = seen

    async def deliver_until_done(self, update: dict[str, Any]) -> None:
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            try:
                response = await self.http.post(
                    WEBHOOK, json=update, headers={SECRET_HEADER: SECRET}
                )
            except httpx.TransportError as exc:
                self.seen.dropped.append(type(exc).__name__)
                await asyncio.sleep(0.2)
                continue
            if response.status_code == 200:
                self.seen.accepted(update["update_id"])
                return
            wait = response.headers.get("retry-after")
            self.seen.refused.append((response.status_code, response.text, wait))
            await asyncio.sleep(min(float(wait or 0.2), 0.5))
        raise AssertionError(f"update {update['update_id']} not accepted in {PATIENCE} s")

    async def talk(self, rounds: int) -> None:
        for _ in range(rounds):
            for step in SCRIPT:
                is_press = ":" in step and not step.startswith("/") and " " not in step
                update = self.press_update(step) if is_press else self.text_update(step)
                await self.deliver_until_done(update)


async def _state(url: str, user_id: int) -> ConversationState:
    db = create_engine(url)
    try:
        async with db.connect() as connection:
            sealed = await connection.scalar(
                select(conversations.c.state).where(
                    conversations.c.channel == "telegram",
                    conversations.c.external_id == str(user_id),
                )
            )
    finally:
        await db.dispose()
    assert sealed is not None, f"no conversation for {user_id}"
    return ConversationState.from_json(TEST_VAULT.open_text(sealed))


async def _update_statuses(url: str) -> Counter[str]:
    db = create_engine(url)
    try:
        async with db.connect() as connection:
            rows = (await connection.execute(select(telegram_updates.c.status))).scalars()
            return Counter(rows)
    finally:
        await db.dispose()


def _shape(state: ConversationState) -> tuple[Any, ...]:
    """What a doubled or lost update would change."""
    return (state.node, dict(state.answers), len(state.history), state.misunderstood)


async def _restart_when_due(seen: Deliveries, cluster: Cluster) -> None:
    await seen.due.wait()
    await asyncio.to_thread(cluster.stop)
    await asyncio.sleep(OUTAGE)
    await asyncio.to_thread(cluster.start)


async def test_postgres_restarted_under_load_clean_errors_recovery_each_update_once(
    cluster: Cluster, server: tuple[str, Path], api: tuple[FakeBotApi, str]
) -> None:
    base, log = server
    fake = api[0]
    total = RESIDENTS * ROUNDS * len(SCRIPT)
    seen = Deliveries(restart_after=total // 3)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        reference = Resident(http, fake, 9_000, Deliveries(restart_after=10**6))
        await reference.talk(1)
        residents = [Resident(http, fake, 9_001 + n, seen) for n in range(RESIDENTS)]
        await asyncio.wait_for(
            asyncio.gather(
                _restart_when_due(seen, cluster),
                *(resident.talk(ROUNDS) for resident in residents),
            ),
            timeout=PATIENCE * 2,
        )

    assert seen.refused, "the restart happened under load: some deliveries were refused"
    for status, body, retry_after in seen.refused:
        assert status in (500, 503), (status, body)
        assert body.startswith("{") and "error" in body, body
        assert retry_after is not None, (status, body)
    assert seen.dropped == [], "the bot kept answering while the database was away"
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]

    assert len(seen.delivered) == total == len(set(seen.delivered))
    url = make_url(cluster.url).render_as_string(hide_password=False)
    expected = _shape(await _state(url, reference.user_id))
    for resident in residents:
        assert _shape(await _state(url, resident.user_id)) == expected, resident.user_id
    statuses = await _update_statuses(url)
    assert statuses == Counter({"done": total + len(SCRIPT)}), statuses

"""``weeraan bot``: long polling against the fake Bot API, with the app's routers and database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tests.fakes.telegram_api import TOKEN, FakeBotApi
from webhook import process
from webhook.settings import Settings, TelegramSettings
from webhook.telegram import polling
from webhook.telegram.runtime import TelegramRuntime
from weeraan.cli import main

RESIDENT = 4242
WITHIN = 20.0  # seconds for a whole polling run: start, one update, stop


def start_update() -> dict[str, Any]:
    resident = {"id": RESIDENT, "is_bot": False, "first_name": "Fatima", "language_code": "nl"}
    return {
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": RESIDENT, "type": "private", "first_name": "Fatima"},
            "from": resident,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        }
    }


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ``WEERAAN_`` settings from the machine running the tests."""
    for name in os.environ:
        if name.startswith("WEERAAN_"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
def runtimes(monkeypatch: pytest.MonkeyPatch) -> list[TelegramRuntime]:
    """The runtime ``run_polling`` builds, so the test can stop its dispatcher."""
    seen: list[TelegramRuntime] = []
    real = process.telegram_runtime

    @asynccontextmanager
    async def spy(*args: Any, **kwargs: Any) -> AsyncIterator[TelegramRuntime | None]:
        async with real(*args, **kwargs) as runtime:
            if runtime is not None:
                seen.append(runtime)
            yield runtime

    monkeypatch.setattr(process, "telegram_runtime", spy)
    return seen


async def test_the_bot_answers_start_over_long_polling_and_stops(
    clean_env: pytest.MonkeyPatch, sqlite_url: str, runtimes: list[TelegramRuntime]
) -> None:
    api = FakeBotApi()
    async with api.serve() as base:
        clean_env.setenv("WEERAAN_TELEGRAM__TOKEN", TOKEN)
        clean_env.setenv("WEERAAN_TELEGRAM__API_BASE", base)
        clean_env.setenv("WEERAAN_DATABASE_URL", sqlite_url)
        api.feed(start_update())
        task = asyncio.create_task(polling.run_polling(Settings()))
        try:
            async with asyncio.timeout(WITHIN):
                [welcome] = await api.wait_for("sendMessage", within=WITHIN)
                await api.wait_for("getUpdates", 2, within=WITHIN)
                (runtime,) = runtimes
                await runtime.dispatcher.stop_polling()
                assert await task == 0
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    assert api.unknown == []

    methods = [call.method for call in api.calls]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    assert api.calls_to("deleteWebhook")[0]["drop_pending_updates"] == "false"
    first, second = api.calls_to("getUpdates")[:2]
    assert "offset" not in first.fields
    assert second["offset"] == "2", "the update is confirmed"

    assert welcome["chat_id"] == str(RESIDENT)
    assert welcome["parse_mode"] == "HTML"
    assert welcome["text"].startswith("Welkom bij WeerAan.")
    assert "In welke taal wilt u verder?" in welcome["text"]
    buttons = [row[0] for row in welcome["reply_markup"]["inline_keyboard"]]
    labels = [button["text"] for button in buttons]
    assert "Nederlands" in labels
    assert "English" in labels
    assert len(buttons) == len(Settings().languages)
    assert all(button["callback_data"] for button in buttons)


async def test_without_a_token_run_polling_exits_2(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    settings = Settings(telegram=TelegramSettings(token=None))
    assert await polling.run_polling(settings) == 2
    assert "WEERAAN_TELEGRAM__TOKEN" in caplog.text


def test_without_a_token_weeraan_bot_exits_2(clean_env: pytest.MonkeyPatch) -> None:
    assert main(["bot"]) == 2

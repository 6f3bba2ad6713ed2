"""Telegram through aiogram against a fake Bot API on 127.0.0.1 (429s and 5xx included)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.outbox.helpers import (
    NOW,
    English,
    ManualClock,
    booking_payload,
    callback_payload,
    free_port,
    one_row,
    put,
    resident_payload,
    serving,
)
from webhook.outbox.delivery import Deliverer
from webhook.outbox.store import Target
from webhook.outbox.targets import build_deliverers, close_deliverers
from webhook.outbox.worker import OutboxWorker
from webhook.settings import Settings, TelegramSettings

TOKEN = "123456:ABC-fake_token_for_tests"
STAFF_CHAT = -1001234567890


@dataclass
class FakeBotApi:
    """``POST /bot{token}/sendMessage`` with form data, as aiogram sends it.

    Answers from a script (``("retry_after", seconds)`` or ``("status", code)``), then OK.
    Anything else (another method, another token) is recorded as unexpected and refused.
    """

    script: list[tuple[str, int]] = field(default_factory=list)
    sent: list[dict[str, str]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != TOKEN or method.lower() != "sendmessage":
            self.unexpected.append(method)
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.sent.append(form)
        if self.script:
            kind, value = self.script.pop(0)
            if kind == "retry_after":
                return web.json_response(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {value}",
                        "parameters": {"retry_after": value},
                    },
                    status=429,
                )
            return web.json_response(
                {"ok": False, "error_code": value, "description": "Bad Gateway"}, status=value
            )
        chat_id = int(form["chat_id"])
        message = {
            "message_id": len(self.sent),
            "date": int(NOW.timestamp()),
            "chat": {"id": chat_id, "type": "supergroup" if chat_id < 0 else "private"},
            "text": form["text"],
        }
        return web.json_response({"ok": True, "result": message})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        return app


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
async def api_base(api: FakeBotApi) -> AsyncIterator[str]:
    async with serving(api.app()) as base:
        yield base
    assert api.unexpected == []


def settings(api_base: str) -> Settings:
    telegram = TelegramSettings(token=SecretStr(TOKEN), api_base=api_base, staff_chat_id=STAFF_CHAT)
    return Settings(telegram=telegram)


@pytest.fixture
async def deliverers(api_base: str) -> AsyncIterator[dict[Target, Deliverer]]:
    built = build_deliverers(settings(api_base), English())
    assert set(built) == {"staff_telegram", "resident_telegram"}
    yield built
    await close_deliverers(built)


async def test_caseworkers_get_an_escaped_summary_with_urgency_first(
    sqlite_db: AsyncEngine, api: FakeBotApi, deliverers: dict[Target, Deliverer]
) -> None:
    payload = booking_payload(name="Jan <b>& Co</b>", address="Hoofdstraat 1 <Almere>")
    await put(sqlite_db, payload=payload, targets=["staff_telegram"])
    assert await OutboxWorker(sqlite_db, deliverers, clock=ManualClock()).run_once() == 1

    (form,) = api.sent
    assert form["chat_id"] == str(STAFF_CHAT)
    assert form["parse_mode"] == "HTML"
    assert json.loads(form["link_preview_options"]) == {"is_disabled": True}
    text = form["text"]
    assert text.startswith("🔴 <b>SPOED</b> <b>Nieuwe afspraak WA-7K3Q</b>\n")
    assert "<b>Naam:</b> Jan &lt;b&gt;&amp; Co&lt;/b&gt;" in text
    assert "<b>Hoe:</b> op kantoor, Hoofdstraat 1 &lt;Almere&gt;" in text
    assert "<b>Telefoon:</b> +31612345678" in text
    assert (await one_row(sqlite_db))["status"] == "sent"


async def test_a_callback_request_is_not_marked_urgent_unless_it_is(
    sqlite_db: AsyncEngine, api: FakeBotApi, deliverers: dict[Target, Deliverer]
) -> None:
    await put(
        sqlite_db,
        event="callback.requested",
        payload=callback_payload(),
        targets=["staff_telegram"],
    )
    assert await OutboxWorker(sqlite_db, deliverers, clock=ManualClock()).run_once() == 1
    (form,) = api.sent
    assert form["text"].startswith("<b>Terugbelverzoek #17</b>\n")
    assert "SPOED" not in form["text"]


async def test_a_resident_gets_their_reminder_in_their_language(
    sqlite_db: AsyncEngine, api: FakeBotApi, deliverers: dict[Target, Deliverer]
) -> None:
    payload = resident_payload("reminder", chat_id=4242, locale="en")
    del payload["to"]
    await put(sqlite_db, event="booking.reminder", payload=payload, targets=["resident_telegram"])
    assert await OutboxWorker(sqlite_db, deliverers, clock=ManualClock()).run_once() == 1

    (form,) = api.sent
    assert form["chat_id"] == "4242"
    assert "parse_mode" not in form
    assert form["text"].startswith("This is a reminder of your appointment about debt help.")
    assert "When: Monday, December 7, 2026 at 10:00\u202fAM" in form["text"]
    assert "Your appointment number: WA-7K3Q" in form["text"]


async def test_429_retry_after_is_honoured(
    sqlite_db: AsyncEngine, api: FakeBotApi, deliverers: dict[Target, Deliverer]
) -> None:
    api.script = [("retry_after", 37)]
    clock = ManualClock()
    await put(sqlite_db, targets=["staff_telegram"])
    w = OutboxWorker(sqlite_db, deliverers, clock=clock)

    assert await w.run_once() == 1
    row = await one_row(sqlite_db)
    assert (row["status"], row["last_error"]) == ("pending", "telegram 429")
    assert row["next_attempt_at"] >= NOW + timedelta(seconds=37)
    clock.advance(timedelta(seconds=36))
    assert await w.run_once() == 0
    clock.advance(timedelta(seconds=1))
    assert await w.run_once() == 1
    assert len(api.sent) == 2
    assert (await one_row(sqlite_db))["status"] == "sent"


async def test_a_server_error_is_retried(
    sqlite_db: AsyncEngine, api: FakeBotApi, deliverers: dict[Target, Deliverer]
) -> None:
    api.script = [("status", 502), ("status", 500)]
    clock = ManualClock()
    await put(sqlite_db, targets=["staff_telegram"])
    w = OutboxWorker(sqlite_db, deliverers, clock=clock)
    for _ in range(3):
        assert await w.run_once() == 1
        clock.advance(timedelta(minutes=1))
    row = await one_row(sqlite_db)
    assert (row["status"], row["attempts"], row["last_error"]) == (
        "sent",
        2,
        "telegram server error",
    )
    assert len(api.sent) == 3


@pytest.mark.usefixtures("quiet")
async def test_the_token_stays_out_of_logs_and_errors(
    sqlite_db: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    unreachable = f"http://127.0.0.1:{free_port()}"
    built = build_deliverers(settings(unreachable), English())
    try:
        await put(sqlite_db, targets=["staff_telegram"], payload=callback_payload())
        assert await OutboxWorker(sqlite_db, built, clock=ManualClock()).run_once() == 1
    finally:
        await close_deliverers(built)
    row = await one_row(sqlite_db)
    assert row["last_error"] == "telegram unreachable"
    assert "ABC-fake_token" not in caplog.text
    assert "+31687654321" not in caplog.text

"""Telegram through aiogram against a fake Bot API on 127.0.0.1 (429s and 5xx included)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.i18n import DEFAULT_LOCALES_DIR, Catalogs
from dialogs.languages import DEFAULT_LANGUAGES
from tests.fakes.telegram_api import TOKEN, Fail, FakeBotApi, RetryAfter
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
)
from webhook.outbox import messages
from webhook.outbox.delivery import Deliverer
from webhook.outbox.store import Target
from webhook.outbox.targets import build_deliverers, close_deliverers
from webhook.outbox.telegram_target import make_bot
from webhook.outbox.worker import OutboxWorker
from webhook.settings import Settings, TelegramSettings
from webhook.telegram.sender import RetryPolicy, SendLimits

STAFF_CHAT = -1001234567890
QUICK = RetryPolicy(backoff=(0.01, 0.01))
UNLIMITED = SendLimits(per_second=0, per_chat_per_second=0, per_group=0)


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
async def api_base(api: FakeBotApi) -> AsyncIterator[str]:
    async with api.serve() as base:
        yield base
    assert api.unknown == []


def settings(api_base: str) -> Settings:
    telegram = TelegramSettings(token=SecretStr(TOKEN), api_base=api_base, staff_chat_id=STAFF_CHAT)
    return Settings(telegram=telegram)


@pytest.fixture
async def deliverers(api_base: str) -> AsyncIterator[dict[Target, Deliverer]]:
    configured = settings(api_base)
    # the sender's own retries, but quick; rate limits are tested in tests/telegram
    bot = make_bot(configured.telegram, limits=UNLIMITED, retry=QUICK)
    built = build_deliverers(configured, English(), bot=bot)
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
    api.script("sendMessage", RetryAfter(37))  # over the sender's 30 s cap: the worker waits
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


async def test_a_passing_server_error_is_retried_by_the_sender_within_one_delivery(
    sqlite_db: AsyncEngine, api: FakeBotApi, deliverers: dict[Target, Deliverer]
) -> None:
    api.script("sendMessage", Fail(502))
    await put(sqlite_db, targets=["staff_telegram"])
    assert await OutboxWorker(sqlite_db, deliverers, clock=ManualClock()).run_once() == 1
    row = await one_row(sqlite_db)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 0, None)
    assert len(api.sent) == 2


async def test_a_lasting_server_error_is_retried_by_the_worker(
    sqlite_db: AsyncEngine, api: FakeBotApi, deliverers: dict[Target, Deliverer]
) -> None:
    tries = 1 + len(QUICK.backoff)  # what the sender tries in one delivery
    api.script("sendMessage", *[Fail(502)] * tries, *[Fail(500)] * tries)
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
    assert len(api.sent) == 2 * tries + 1


@pytest.mark.usefixtures("quiet")
async def test_the_token_stays_out_of_logs_and_errors(
    sqlite_db: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    unreachable = f"http://127.0.0.1:{free_port()}"
    configured = settings(unreachable)
    built = build_deliverers(configured, English(), bot=make_bot(configured.telegram, retry=QUICK))
    try:
        await put(sqlite_db, targets=["staff_telegram"], payload=callback_payload())
        assert await OutboxWorker(sqlite_db, built, clock=ManualClock()).run_once() == 1
    finally:
        await close_deliverers(built)
    row = await one_row(sqlite_db)
    assert row["last_error"] == "telegram unreachable"
    assert "ABC-fake_token" not in caplog.text
    assert "+31687654321" not in caplog.text


@pytest.mark.parametrize(("locale", "mode"), [("ar", "phone"), ("pl", "office"), ("nl", "phone")])
async def test_a_caseworkers_move_reaches_the_chat_with_the_new_time(
    sqlite_db: AsyncEngine, api: FakeBotApi, api_base: str, locale: str, mode: str
) -> None:
    catalogs = Catalogs(DEFAULT_LOCALES_DIR, DEFAULT_LANGUAGES)
    bot = make_bot(settings(api_base).telegram, limits=UNLIMITED, retry=QUICK)
    deliverers = build_deliverers(settings(api_base), catalogs, bot=bot)
    address = "Voorbeeldstraat 1, Almere" if mode == "office" else ""
    payload = resident_payload(
        "rescheduled", chat_id=4343, locale=locale, mode=mode, address=address, changed_by="staff"
    )
    del payload["to"]
    await put(
        sqlite_db, event="booking.rescheduled", payload=payload, targets=["resident_telegram"]
    )
    try:
        assert await OutboxWorker(sqlite_db, deliverers, clock=ManualClock()).run_once() == 1
    finally:
        await close_deliverers(deliverers)

    def said(msgid: str, **params: str) -> str:
        return messages.translate(catalogs, locale, msgid, **params)

    (form,) = api.sent
    text = form["text"]
    assert form["chat_id"] == "4343"
    assert text.startswith(said(messages.STAFF_OPENINGS["rescheduled"]))
    starts = messages.parse_instant(payload["starts_at"])
    day, time = messages.day_text(starts, locale), messages.time_text(starts, locale)
    assert said(messages.WHEN, date=day, time=time) in text
    if mode == "phone":
        assert said(messages.HOW_BY_PHONE) in text
        assert "PLANgroep" in text and said(messages.WHERE, place="") not in text
    else:
        assert said(messages.WHERE, place=address) in text
    assert text.rstrip().endswith(said(messages.CHAT_CHANGE))
    assert "/afspraak" in text
    if locale != "nl":
        assert "Een medewerker" not in text, "translated, not Dutch"

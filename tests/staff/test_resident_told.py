"""A caseworker cancels or moves a Telegram resident's booking: the resident reads it in
their chat.

The whole app runs with a bot token against a fake Bot API on 127.0.0.1; its own outbox
worker delivers. The caseworker cancels through the JSON API (SQLite and PostgreSQL) and the
dashboard; the resident's own cancellation, in the conversation, sends nothing to the chat.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.i18n import DEFAULT_LOCALES_DIR, Catalogs
from dialogs.languages import DEFAULT_LANGUAGES
from dialogs.ports import ConversationKey
from tests.fakes.telegram_api import TOKEN, Call, FakeBotApi
from tests.staff.conftest import StaffApp, staff_app_on
from tests.staff.test_dashboard import Browser
from webhook.outbox import messages as m
from webhook.settings import TelegramSettings
from webhook.store import SqlConversationStore
from webhook.tables import outbox

STAFF_CHAT = -1001234567890
CATALOGS = Catalogs(DEFAULT_LOCALES_DIR, DEFAULT_LANGUAGES)


def _telegram(base: str) -> TelegramSettings:
    return TelegramSettings(token=SecretStr(TOKEN), api_base=base, staff_chat_id=STAFF_CHAT)


@pytest.fixture
async def api() -> AsyncIterator[tuple[FakeBotApi, str]]:
    fake = FakeBotApi()
    async with fake.serve() as base:
        yield fake, base
    assert fake.unknown == []


@pytest.fixture
async def app_with_bot(
    database: tuple[str, AsyncEngine], api: tuple[FakeBotApi, str]
) -> AsyncIterator[StaffApp]:
    url, db = database
    async with staff_app_on(url, db, _telegram(api[1])) as app:
        yield app


@pytest.fixture
async def sqlite_app_with_bot(
    sqlite_url: str, sqlite_engine: AsyncEngine, api: tuple[FakeBotApi, str]
) -> AsyncIterator[StaffApp]:
    async with staff_app_on(sqlite_url, sqlite_engine, _telegram(api[1])) as app:
        yield app


async def to_chat(
    api: FakeBotApi, chat_id: str, containing: str = "", *, within: float = 20.0
) -> Call:
    """The first message the bot sent to ``chat_id`` with ``containing`` (waits for it)."""
    async with asyncio.timeout(within):
        while True:
            for call in api.calls_to("sendMessage"):
                if call["chat_id"] == chat_id and containing in call["text"]:
                    return call
            await asyncio.sleep(0.02)


def said(locale: str, msgid: str) -> str:
    translated = CATALOGS.gettext(locale, msgid)
    assert translated != msgid, f"{msgid!r} is not translated into {locale}"
    return translated


async def starts_at(app: StaffApp, reference: str) -> datetime:
    response = await app.get(f"/bookings/{reference}")
    assert response.status_code == 200, response.text
    return datetime.fromisoformat(response.json()["starts_at"])


async def test_a_cancellation_through_the_api_reaches_an_arabic_chat(
    app_with_bot: StaffApp, api: tuple[FakeBotApi, str]
) -> None:
    app, (fake, _) = app_with_bot, api
    reference = await app.book_direct(name="Samira", urgent=True, resident="9001", locale="ar")
    when = await starts_at(app, reference)

    response = await app.post(f"/bookings/{reference}/outcome", {"outcome": "cancelled"})
    assert response.status_code == 200, response.text

    message = await to_chat(fake, "9001")
    text = message["text"]
    assert "parse_mode" not in message.fields, "plain text: nothing to escape"
    assert text.startswith(said("ar", m.STAFF_OPENINGS["cancellation"]))
    assert m.day_text(when, "ar") in text
    assert reference in text
    assert said("ar", m.CHAT_REBOOK) in text and "/start" in text
    assert "Samira" not in text and "+31612345678" not in text
    assert [c for c in fake.calls_to("sendMessage") if c["chat_id"] == "9001"] == [message]


async def test_a_cancellation_on_the_dashboard_reaches_an_english_chat(
    sqlite_app_with_bot: StaffApp, api: tuple[FakeBotApi, str]
) -> None:
    app, (fake, _) = sqlite_app_with_bot, api
    reference = await app.book_direct(name="Olena", urgent=False, resident="9002", locale="en")
    async with app.client() as http:
        browser = Browser(http)
        assert (await browser.login(app.anna.token)).status_code == 303
        detail = f"/staff/bookings/{reference}"
        done = await browser.submit(
            f"{detail}/outcome", {"outcome": "cancelled", "confirm": "yes"}, from_page=detail
        )
        assert done.status_code == 303, done.text

    text = (await to_chat(fake, "9002"))["text"]
    assert text.startswith(
        "A staff member from PLANgroep has cancelled your appointment about debt help."
    )
    assert f"Your appointment number: {reference}" in text
    assert text.rstrip().endswith("Would you like to make a new appointment? Then send /start.")


async def test_the_residents_own_cancellation_sends_nothing_to_their_chat(
    sqlite_app_with_bot: StaffApp, api: tuple[FakeBotApi, str]
) -> None:
    app, (fake, _) = sqlite_app_with_bot, api
    reference = await app.book_direct(name="Jan", urgent=False, resident="9003", locale="ar")
    store = SqlConversationStore(app.db, app.config)
    async with store.turn(ConversationKey("telegram", "9003")) as tx:
        assert await tx.bookings.cancel(now=datetime.now().astimezone()) is not None

    # The caseworkers hear of it (the worker ran); the resident's chat gets nothing.
    await to_chat(fake, str(STAFF_CHAT), f"Afspraak geannuleerd {reference}")
    async with app.db.connect() as connection:
        targets = (await connection.scalars(select(outbox.c.target))).all()
    assert "resident_telegram" not in targets
    assert [c for c in fake.calls_to("sendMessage") if c["chat_id"] == "9003"] == []


async def test_a_move_through_the_api_reaches_a_ukrainian_chat_with_the_new_time(
    app_with_bot: StaffApp, api: tuple[FakeBotApi, str]
) -> None:
    app, (fake, _) = app_with_bot, api
    reference = await app.book_direct(name="Oksana", urgent=False, resident="9004", locale="uk")
    old = await starts_at(app, reference)
    slots = (await app.get("/slots")).json()
    target = next(
        s
        for s in slots
        if s["mode"] == "office"
        and s["booked"] == 0
        and datetime.fromisoformat(s["starts_at"]) > old
    )

    response = await app.post(f"/bookings/{reference}/move", {"slot_id": target["id"]})
    assert response.status_code == 200, response.text

    new = datetime.fromisoformat(target["starts_at"])
    message = await to_chat(fake, "9004")
    text = message["text"]
    assert text.startswith(said("uk", m.STAFF_OPENINGS["rescheduled"]))
    assert m.day_text(new, "uk") in text and m.time_text(new, "uk") in text
    assert reference in text
    assert "Oksana" not in text and "+31612345678" not in text
    assert [c for c in fake.calls_to("sendMessage") if c["chat_id"] == "9004"] == [message]

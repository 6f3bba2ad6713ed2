"""Telegram in webhook mode, through the real app and its lifespan.

Real ``Update`` JSON is POSTed to ``/telegram/webhook``; aiogram talks to a fake Bot API on
127.0.0.1 (``TelegramAPIServer.from_base``) that records every call. The last reply of a turn
is read from the webhook response body, everything else from the fake's recorded calls.

The fake is ``tests.fakes.telegram_api``, with this module's token.
"""

from __future__ import annotations

import html
import itertools
import json
import logging
import re
import time
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
)
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.render import MAX_CALLBACK_DATA, MAX_TEXT, keyboard, split, to_telegram
from dialogs.render import MessageView, OptionView
from dialogs.service import Turn
from dialogs.state import ConversationState
from tests.conftest import TEST_VAULT
from tests.fakes.telegram_api import Call, Fail, FakeBotApi
from tests.outbox.helpers import eventually, free_port
from tests.webhook.test_widget_api import GENEROUS, connect, running
from webhook.db import create_engine
from webhook.deps import Components
from webhook.settings import Settings
from webhook.tables import bookings, conversations, telegram_updates

TOKEN = "123456:ABC-DEF_ghijklmnop"
TOKEN_SECRET = TOKEN.split(":", 1)[1]
SECRET = "s3cret"
STAFF_CHAT = -1001
WEBHOOK = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
STALE = "Die vraag is al voorbij"
TEXT_ONLY = "Ik kan alleen tekst lezen"
EVERY_DAY = {
    "days": "mon,tue,wed,thu,fri,sat,sun",
    "hours": "00:00-23:59",
    "intake_minutes": 60,
    "min_notice_hours": 0,
    "office_address": "Voorbeeldplein 2",
    "capacity": 1,
}
GAS_QUESTION = ["gas:yes", "gas:no"]
PRIVACY_QUESTION = ["privacy:agree", "privacy:more", "privacy:decline"]
POSTCODE_QUESTION = ["location:outside"]
TO_POSTCODE: list[str] = [
    "lang:nl",
    "privacy:agree",
    "gas:no",
    "medical:no",
    "situation:letter",
    "energy:gas",
]
AFTER_POSTCODE: list[str] = ["supplier:vattenfall", "debt:yes", "prevention:book", "mode:office"]
REFUSE_TURNS = """CREATE TRIGGER refuse_turns BEFORE UPDATE ON conversations
WHEN OLD.external_id = '{user_id}' BEGIN SELECT RAISE(ABORT, 'refused'); END"""
UPDATE_IDS = itertools.count(700_000)
MESSAGE_IDS = itertools.count(1)
ENTITY = re.compile(r"&(?!amp;|lt;|gt;|quot;|#x27;)")


# -- the fake Bot API's calls ------------------------------------------------------------------


def sent_to(api: FakeBotApi, chat_id: int) -> list[Call]:
    return [call for call in api.calls_to("sendMessage") if str(call["chat_id"]) == str(chat_id)]


def markup_of(call: Call) -> dict[str, Any] | None:
    markup = call.fields.get("reply_markup")
    return None if markup is None else dict(markup)


def callback_data_of(markup: dict[str, Any] | None) -> list[str]:
    if not markup:
        return []
    return [button["callback_data"] for row in markup.get("inline_keyboard", []) for button in row]


def assert_fits(markup: dict[str, Any] | None) -> None:
    for data in callback_data_of(markup):
        assert 1 <= len(data.encode()) <= MAX_CALLBACK_DATA, data


# -- running the app ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read the environment: no webhook registration unless a test asks for it."""
    monkeypatch.delenv("WEERAAN_PUBLIC_URL", raising=False)


@pytest.fixture
def fake() -> FakeBotApi:
    return FakeBotApi(token=TOKEN)


@pytest.fixture
async def api_base(fake: FakeBotApi) -> AsyncIterator[str]:
    """The fake on 127.0.0.1; afterwards, everything the bot sent it is checked."""
    async with fake.serve() as base:
        yield base
    assert fake.unknown == [], "only known methods, always with the configured token"
    for call in fake.calls:
        assert_fits(markup_of(call))
        if call.method == "sendMessage":
            assert len(call["text"]) <= MAX_TEXT


def settings_for(sqlite_url: str, api_base: str, **telegram: Any) -> Settings:
    return Settings(
        database_url=sqlite_url,
        widget=GENEROUS,
        schedule=EVERY_DAY,
        telegram={
            "token": TOKEN,
            "webhook_secret": SECRET,
            "api_base": api_base,
            "staff_chat_id": STAFF_CHAT,
            **telegram,
        },
    )


@asynccontextmanager
async def telegram_app(
    sqlite_url: str, api_base: str, **telegram: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with running(settings_for(sqlite_url, api_base, **telegram)) as app, connect(app) as http:
        yield app, http


@pytest.fixture
async def app_http(sqlite_url: str, api_base: str) -> AsyncIterator[httpx.AsyncClient]:
    async with telegram_app(sqlite_url, api_base) as (_, http):
        yield http


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    """A second engine on the app's SQLite file, to look at what the app stored."""
    engine = create_engine(sqlite_url)
    yield engine
    await engine.dispose()


async def stored(db: AsyncEngine, user_id: int) -> tuple[ConversationState, str] | None:
    """The resident's stored conversation state and its node column, if any."""
    async with db.connect() as connection:
        row = (
            await connection.execute(
                select(conversations).where(
                    conversations.c.channel == "telegram",
                    conversations.c.external_id == str(user_id),
                )
            )
        ).one_or_none()
    if row is None:
        return None
    return ConversationState.from_json(TEST_VAULT.open_text(row.state)), row.node


async def count(db: AsyncEngine, table: Any) -> int:
    async with db.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(table)) or 0)


# -- a resident on Telegram ---------------------------------------------------------------------


class Resident:
    """A Telegram user in a private chat with the bot; every call is one webhook delivery."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        fake: FakeBotApi,
        *,
        user_id: int = 4242,
        language_code: str | None = "nl",
    ) -> None:
        self.http = http
        self.fake = fake
        self.user_id = user_id
        self.language_code = language_code
        self.last: dict[str, Any] = {}
        self.extra: list[Call] = []
        self.keyboards: list[dict[str, Any]] = []
        self.presses = 0

    # building updates, as Telegram sends them

    @property
    def sender(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": "Fatima"}
        if self.language_code is not None:
            user["language_code"] = self.language_code
        return user

    @property
    def chat(self) -> dict[str, Any]:
        return {"id": self.user_id, "type": "private", "first_name": "Fatima"}

    def message(self, **content: Any) -> dict[str, Any]:
        return {
            "update_id": next(UPDATE_IDS),
            "message": {
                "message_id": next(MESSAGE_IDS),
                "date": int(time.time()),
                "chat": self.chat,
                "from": self.sender,
                **content,
            },
        }

    def text_update(self, text: str) -> dict[str, Any]:
        if text.startswith("/"):
            command = text.split(" ", 1)[0]
            entities = [{"type": "bot_command", "offset": 0, "length": len(command)}]
            return self.message(text=text, entities=entities)
        return self.message(text=text)

    def press_update(self, data: str, *, old: bool = False) -> dict[str, Any]:
        """A button press; ``old``: on a message Telegram no longer shows the bot (date 0)."""
        message: dict[str, Any] = {
            "message_id": next(MESSAGE_IDS),
            "date": 0 if old else int(time.time()),
            "chat": self.chat,
        }
        if not old:
            message |= {"from": {"id": 123456, "is_bot": True, "first_name": "WeerAan"}}
            message |= {"text": "…"}
        return {
            "update_id": next(UPDATE_IDS),
            "callback_query": {
                "id": f"cq-{next(MESSAGE_IDS)}",
                "from": self.sender,
                "message": message,
                "chat_instance": "-4711",
                "data": data,
            },
        }

    # delivering them

    async def deliver(
        self, update: dict[str, Any], *, secret: str | None = SECRET
    ) -> httpx.Response:
        headers = {} if secret is None else {SECRET_HEADER: secret}
        return await self.http.post(WEBHOOK, json=update, headers=headers)

    async def send(self, update: dict[str, Any]) -> dict[str, Any]:
        """Deliver an update that must be processed: 200 and a ``sendMessage`` to this chat."""
        before = len(self.fake.calls)
        response = await self.deliver(update)
        assert response.status_code == 200, response.text
        body = dict(response.json())
        self.extra = [
            call
            for call in self.fake.calls[before:]
            if call.method == "sendMessage" and str(call["chat_id"]) == str(self.user_id)
        ]
        self.check(body)
        self.last = body
        return body

    def check(self, body: dict[str, Any]) -> None:
        assert body["method"] == "sendMessage", body
        assert body["chat_id"] == self.user_id
        assert body["parse_mode"] == "HTML"
        assert 0 < len(body["text"]) <= MAX_TEXT
        assert "<" not in body["text"], "every text is escaped: no markup reaches Telegram"
        assert not ENTITY.search(body["text"]), "every & is the start of an entity"
        markup = body.get("reply_markup")
        assert_fits(markup)
        if markup and "inline_keyboard" in markup:
            self.keyboards.append(markup)

    async def start(self, payload: str | None = None) -> dict[str, Any]:
        return await self.send(self.text_update("/start" + (f" {payload}" if payload else "")))

    async def type(self, text: str) -> dict[str, Any]:
        return await self.send(self.text_update(text))

    async def press(self, data: str, *, old: bool = False) -> dict[str, Any]:
        update = self.press_update(data, old=old)
        answered = len(self.fake.calls_to("answerCallbackQuery"))
        body = await self.send(update)
        calls = self.fake.calls_to("answerCallbackQuery")[answered:]
        assert [c["callback_query_id"] for c in calls] == [update["callback_query"]["id"]]
        self.presses += 1
        return body

    async def share_contact(self, phone_number: str) -> dict[str, Any]:
        contact = {"phone_number": phone_number, "first_name": "Fatima", "user_id": self.user_id}
        return await self.send(self.message(contact=contact))

    def options(self) -> list[str]:
        return callback_data_of(self.last.get("reply_markup"))

    def said(self) -> str:
        return "\n\n".join([call["text"] for call in self.extra] + [self.last["text"]])

    async def walk(self, steps: list[str]) -> None:
        """Press each button (``x:y``), or type the text, checking the button was offered."""
        for step in steps:
            if re.fullmatch(r"[a-z_]+:[a-z_0-9:-]+", step):
                assert step in self.options(), (step, self.options())
                await self.press(step)
            else:
                await self.type(step)

    async def to_summary(self, name: str, *, postcode: str = "1315 AB 12") -> None:
        await self.start()
        await self.walk(TO_POSTCODE)
        await self.type(postcode)
        await self.walk(AFTER_POSTCODE)
        days = [o for o in self.options() if o.startswith("day:")]
        assert days, self.said()
        await self.press(days[-1])  # a later day: no slot passes its notice time mid-test
        slots = [o for o in self.options() if o.startswith("slot:")]
        assert slots, self.said()
        await self.press(slots[0])
        assert "Wat is uw naam?" in self.said()
        await self.type(name)
        assert "telefoonnummer" in self.said()
        await self.share_contact("31612345678")  # Telegram apps often send it without "+"
        assert "email:skip" in self.options()
        await self.press("email:skip")
        assert "Klopt dit?" in self.said()


# -- the whole conversation ---------------------------------------------------------------------


async def test_a_resident_books_an_intake_from_start_to_the_staff_chat(
    sqlite_url: str,
    api_base: str,
    fake: FakeBotApi,
    db: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with telegram_app(sqlite_url, api_base) as (_, http):
        fatima = Resident(http, fake)
        await fatima.start()
        assert "In welke taal" in fatima.said()
        assert "lang:nl" in fatima.options()
        await fatima.walk(TO_POSTCODE)
        assert fatima.options() == POSTCODE_QUESTION
        await fatima.type("1315 AB 12")
        await fatima.walk(AFTER_POSTCODE)

        days = [o for o in fatima.options() if o.startswith("day:")]
        assert days, fatima.said()
        await fatima.press(days[-1])
        slots = [o for o in fatima.options() if o.startswith("slot:")]
        assert slots, fatima.said()
        await fatima.press(slots[0])

        assert "Wat is uw naam?" in fatima.said()
        assert fatima.last["reply_markup"] == {"remove_keyboard": True}
        await fatima.type("Fatima de Vries")
        assert "telefoonnummer" in fatima.said()
        share = fatima.last["reply_markup"]["keyboard"][0][0]
        assert share["request_contact"] is True
        assert share["text"] == "Mijn nummer delen"

        await fatima.share_contact("31612345678")
        assert "email:skip" in fatima.options(), "the shared number was accepted"
        await fatima.press("email:skip")
        assert "Klopt dit?" in fatima.said()
        assert "Fatima de Vries" in fatima.said()
        assert "612345678" in fatima.said()
        await fatima.press("summary:confirm")

        assert "Uw afspraak staat vast" in fatima.said()
        found = re.search(r"WA-[0-9A-Z]{4,}", fatima.said())
        assert found, fatima.said()
        reference = found.group()
        assert fatima.options() == []

        async def staff_told() -> bool:
            return any(reference in call["text"] for call in sent_to(fake, STAFF_CHAT))

        await eventually(staff_told, within=10.0)
        (staff,) = sent_to(fake, STAFF_CHAT)
        assert staff["parse_mode"] == "HTML"
        assert "Fatima de Vries" in staff["text"]

    assert sent_to(fake, fatima.user_id) == [], "every reply rode in a webhook response"
    assert len(fake.calls_to("answerCallbackQuery")) == fatima.presses >= 12
    assert fake.calls_to("setWebhook") == [], "no public URL: no registration"
    assert len(fatima.keyboards) >= 12

    async with db.connect() as connection:
        booking = (
            await connection.execute(select(bookings).where(bookings.c.reference == reference))
        ).one()
    assert booking.channel == "telegram"
    assert booking.external_id == str(fatima.user_id)
    assert TEST_VAULT.open(booking.phone) == "+31612345678"
    assert TEST_VAULT.open(booking.name) == "Fatima de Vries"
    assert booking.locale == "nl"

    assert caplog.records, "the logs were captured at DEBUG"
    assert TOKEN_SECRET not in caplog.text
    assert TOKEN_SECRET not in repr([record.args for record in caplog.records])


# -- start, source, language --------------------------------------------------------------------


@pytest.mark.parametrize(("payload", "source"), [("brief", "brief"), (None, "telegram")])
async def test_the_start_payload_is_recorded_as_the_source(
    app_http: httpx.AsyncClient,
    fake: FakeBotApi,
    db: AsyncEngine,
    payload: str | None,
    source: str,
) -> None:
    resident = Resident(app_http, fake)
    await resident.start(payload)
    found = await stored(db, resident.user_id)
    assert found is not None
    assert found[0].source == source


async def test_the_bot_stays_quiet_in_a_group_chat(
    app_http: httpx.AsyncClient, fake: FakeBotApi, db: AsyncEngine
) -> None:
    """A caseworker typing in the staff group never starts a resident conversation."""
    resident = Resident(app_http, fake, user_id=777)
    update = resident.text_update("/start")
    update["message"]["chat"] = {"id": -1001, "type": "supergroup", "title": "Team"}
    response = await resident.deliver(update)
    assert response.status_code == 200
    assert response.json() == {}
    assert await stored(db, resident.user_id) is None
    assert not [call for call in fake.calls if call.method == "sendMessage"]


@pytest.mark.parametrize(
    ("language_code", "locale"), [("uk", "uk"), ("ar", "ar"), ("de", "nl"), (None, "nl")]
)
async def test_telegrams_language_code_picks_the_locale(
    app_http: httpx.AsyncClient,
    fake: FakeBotApi,
    db: AsyncEngine,
    language_code: str | None,
    locale: str,
) -> None:
    resident = Resident(app_http, fake, language_code=language_code)
    await resident.start()
    found = await stored(db, resident.user_id)
    assert found is not None
    assert found[0].locale == locale
    async with db.connect() as connection:
        column = await connection.scalar(
            select(conversations.c.locale).where(
                conversations.c.external_id == str(resident.user_id)
            )
        )
    assert column == locale


# -- the secret, and no Telegram at all ---------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "wrong", "S3CRET", SECRET + " ", "s3cre"])
async def test_a_wrong_or_missing_secret_is_401_and_nothing_is_processed(
    app_http: httpx.AsyncClient, fake: FakeBotApi, db: AsyncEngine, secret: str | None
) -> None:
    resident = Resident(app_http, fake)
    start = resident.text_update("/start")
    press = resident.press_update("lang:nl")
    for update in (start, press):
        response = await resident.deliver(update, secret=secret)
        assert response.status_code == 401
        assert response.json()["error"] == "bad_secret"
    assert await stored(db, resident.user_id) is None
    assert await count(db, telegram_updates) == 0
    assert fake.calls == []

    await resident.send(start)  # the same update with the right secret: processed after all
    assert "In welke taal" in resident.said()


async def test_without_a_webhook_secret_every_update_is_refused(
    sqlite_url: str, api_base: str, fake: FakeBotApi, db: AsyncEngine
) -> None:
    async with telegram_app(sqlite_url, api_base, webhook_secret=None) as (_, http):
        resident = Resident(http, fake)
        for secret in (None, "", SECRET):
            response = await resident.deliver(resident.text_update("/start"), secret=secret)
            assert response.status_code == 401
    assert await stored(db, resident.user_id) is None
    assert fake.calls == []


async def test_without_a_token_the_route_answers_404(sqlite_url: str, fake: FakeBotApi) -> None:
    settings = Settings(database_url=sqlite_url, widget=GENEROUS, schedule=EVERY_DAY)
    async with running(settings) as app, connect(app) as http:
        resident = Resident(http, fake)
        response = await resident.deliver(resident.text_update("/start"))
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
    assert fake.calls == []


# -- duplicates ---------------------------------------------------------------------------------


async def test_a_redelivered_update_is_processed_once_even_after_a_restart(
    sqlite_url: str, api_base: str, fake: FakeBotApi, db: AsyncEngine
) -> None:
    async with telegram_app(sqlite_url, api_base) as (_, http):
        resident = Resident(http, fake)
        await resident.start()
        press = resident.press_update("lang:nl")
        await resident.send(press)
        assert resident.options() == ["privacy:agree", "privacy:more", "privacy:decline"]
        after_once = await stored(db, resident.user_id)
        answered = len(fake.calls_to("answerCallbackQuery"))

        again = await resident.deliver(press)
        assert (again.status_code, again.json()) == (200, {})
        assert await stored(db, resident.user_id) == after_once
        assert len(fake.calls_to("answerCallbackQuery")) == answered

    async with telegram_app(sqlite_url, api_base) as (_, http):  # a new process, the same database
        resident.http = http
        again = await resident.deliver(press)
        assert (again.status_code, again.json()) == (200, {})
        assert await stored(db, resident.user_id) == after_once
        assert len(fake.calls_to("answerCallbackQuery")) == answered

        # Even if the update bookkeeping lost it, the turn itself was recorded once.
        async with db.begin() as connection:
            await connection.execute(telegram_updates.delete())
        again = await resident.deliver(press)
        assert again.status_code == 200
        assert await stored(db, resident.user_id) == after_once
        resident.check(again.json())  # its answer may have been lost: the question again
        assert callback_data_of(again.json()["reply_markup"]) == PRIVACY_QUESTION

        await resident.press("privacy:agree")  # and the conversation goes on from there
        assert resident.options() == GAS_QUESTION


# -- stale buttons, other content, escaping -----------------------------------------------------


@pytest.fixture
async def at_gas(app_http: httpx.AsyncClient, fake: FakeBotApi) -> Resident:
    """A resident at the gas question (two questions in)."""
    resident = Resident(app_http, fake)
    await resident.start()
    await resident.walk(["lang:nl", "privacy:agree"])
    assert resident.options() == GAS_QUESTION
    return resident


@pytest.mark.parametrize(
    ("data", "old"),
    [
        ("lang:nl", False),
        ("privacy:agree", False),
        ("budget:yes", False),
        ("no:such-option", False),
        ("x" * MAX_CALLBACK_DATA, False),
        ("lang:nl", True),
    ],
)
async def test_a_stale_or_unknown_button_gets_the_current_question_again(
    at_gas: Resident, db: AsyncEngine, data: str, old: bool
) -> None:
    before = await stored(db, at_gas.user_id)
    await at_gas.press(data, old=old)
    assert STALE in at_gas.said()
    assert at_gas.options() == GAS_QUESTION
    after = await stored(db, at_gas.user_id)
    assert before is not None and after is not None
    assert after[1] == before[1], "still at the same question"
    await at_gas.press("gas:no")
    assert at_gas.options() == ["medical:yes", "medical:no"]


NON_TEXT: dict[str, dict[str, Any]] = {
    "sticker": {
        "sticker": {
            "file_id": "CAACAgIAAxkBAAIBsticker",
            "file_unique_id": "AgADsticker",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
    },
    "photo": {
        "photo": [
            {"file_id": "AgACAgQAAxkBphoto", "file_unique_id": "AQADp", "width": 90, "height": 90},
            {
                "file_id": "AgACAgQAAxkBphot2",
                "file_unique_id": "AQADq",
                "width": 800,
                "height": 800,
            },
        ],
        "caption": "<b>mijn brief</b> & meer",
    },
    "voice": {
        "voice": {
            "file_id": "AwACAgQAAxkBvoice",
            "file_unique_id": "AgADvoice",
            "duration": 4,
            "mime_type": "audio/ogg",
        }
    },
    "location": {"location": {"latitude": 52.3508, "longitude": 5.2647}},
}


@pytest.mark.parametrize("kind", list(NON_TEXT))
async def test_non_text_messages_get_a_clear_answer_and_the_question_again(
    at_gas: Resident, db: AsyncEngine, kind: str
) -> None:
    before = await stored(db, at_gas.user_id)
    await at_gas.send(at_gas.message(**NON_TEXT[kind]))
    assert TEXT_ONLY in at_gas.said()
    assert at_gas.options() == GAS_QUESTION
    after = await stored(db, at_gas.user_id)
    assert before is not None and after is not None
    assert after[1] == before[1]


async def test_what_the_resident_typed_is_html_escaped(
    app_http: httpx.AsyncClient, fake: FakeBotApi
) -> None:
    resident = Resident(app_http, fake)
    await resident.start()
    await resident.walk(TO_POSTCODE)
    await resident.type("<b>1234</b> & co")
    assert resident.options() == POSTCODE_QUESTION, "asked again"
    assert "<b>" not in resident.said()  # Resident.check: no "<" at all, every & an entity

    resident = Resident(app_http, fake, user_id=5151)
    await resident.to_summary("Jan <b>de Vries</b> & Co")
    assert "Naam: Jan &lt;b&gt;de Vries&lt;/b&gt; &amp; Co" in resident.said()


# -- long turns, callback data ------------------------------------------------------------------


def _no_translation(msgid: str) -> str:
    return msgid


def test_a_long_turn_is_split_into_escaped_pieces_of_at_most_4096() -> None:
    paragraph = "\n".join(f"Regel {n}: Jan & Piet <zeggen> 'hallo' & \"dag\"." for n in range(40))
    choice = MessageView(
        "Kies:", options=(OptionView("gas:yes", "Ja"), OptionView("gas:no", "Nee & klaar"))
    )
    messages = (*[MessageView(paragraph)] * 6, choice)
    turn = Turn(messages=messages, locale="nl", ended=False)
    outgoing = to_telegram(turn, _no_translation)

    assert len(outgoing) >= 3
    assert all(len(piece.text) <= MAX_TEXT for piece in outgoing)
    assert all("<" not in piece.text and not ENTITY.search(piece.text) for piece in outgoing)
    assert all(piece.markup is None for piece in outgoing[:-1]), "buttons on the last only"
    last = outgoing[-1].markup
    assert last is not None
    assert callback_data_of(last.model_dump(exclude_none=True)) == ["gas:yes", "gas:no"]
    shown = html.unescape("\n".join(piece.text for piece in outgoing)).split()
    assert shown == "\n".join(message.text for message in messages).split(), "nothing lost"


@pytest.mark.parametrize(
    "text",
    [
        "&amp;" * 2000,  # escaped "&" everywhere: never cut inside an entity
        "x" * 4095 + "&amp;" + "y" * 10,
        "a" * 10_000,
        ("b" * 100 + "\n") * 100,
        "c" * MAX_TEXT,
    ],
)
def test_split_keeps_pieces_within_the_limit_and_entities_whole(text: str) -> None:
    pieces = split(text)
    assert all(0 < len(piece) <= MAX_TEXT for piece in pieces)
    assert all(not ENTITY.search(piece) and not piece.endswith(("&am", "&amp")) for piece in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    assert len(pieces) == -(-len(text) // MAX_TEXT) or "\n" in text


def test_a_callback_data_over_64_bytes_is_refused() -> None:
    fits = MessageView("?", options=(OptionView("é" * 32, "ok"),))
    assert keyboard(fits, _no_translation) is not None
    too_long = MessageView("?", options=(OptionView("é" * 33, "te lang"),))
    with pytest.raises(ValueError, match="64 bytes"):
        keyboard(too_long, _no_translation)


# -- failures -----------------------------------------------------------------------------------


async def test_an_update_that_keeps_failing_is_acknowledged_after_3_deliveries(
    app_http: httpx.AsyncClient,
    fake: FakeBotApi,
    db: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Saving this resident's turn fails (a statement refused, not the database away): 500
    (Telegram redelivers) three times, then the update is acknowledged and logged by id, and
    the chat goes on."""
    caplog.set_level(logging.DEBUG)
    resident = Resident(app_http, fake)
    await resident.start()
    before = await stored(db, resident.user_id)
    press = resident.press_update("lang:nl")
    update_id = press["update_id"]
    async with db.begin() as connection:
        await connection.exec_driver_sql(REFUSE_TURNS.format(user_id=resident.user_id))
    try:
        statuses = [(await resident.deliver(press)).status_code for _ in range(4)]
    finally:
        async with db.begin() as connection:
            await connection.exec_driver_sql("DROP TRIGGER refuse_turns")

    assert statuses == [500, 500, 500, 200], "3 failed deliveries, then acknowledged"
    query_id = press["callback_query"]["id"]
    answers = [
        c for c in fake.calls_to("answerCallbackQuery") if c["callback_query_id"] == query_id
    ]
    assert len(answers) == 3, "the acknowledged update is not processed a fourth time"
    assert await stored(db, resident.user_id) == before
    failed = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failed.count(f"telegram update {update_id} failed: IntegrityError") == 3
    poison = [m for m in failed if "too often" in m]
    assert poison == [f"telegram update {update_id} failed too often: acknowledged unprocessed"]
    fifth = await resident.deliver(press)
    assert (fifth.status_code, fifth.json()) == (200, {})

    await resident.press("lang:nl")  # the chat is not stuck behind it
    assert resident.options() == ["privacy:agree", "privacy:more", "privacy:decline"]
    assert TOKEN_SECRET not in caplog.text


async def test_a_press_that_cannot_be_answered_is_a_5xx_and_not_processed(
    at_gas: Resident, fake: FakeBotApi, db: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """answerCallbackQuery keeps failing (after the sender's short retries): Telegram gets a
    5xx and redelivers; nothing of the press happened meanwhile."""
    caplog.set_level(logging.DEBUG)
    fake.script("answerCallbackQuery", *[Fail(500, "Internal Server Error")] * 10)
    before = await stored(db, at_gas.user_id)
    press = at_gas.press_update("gas:no")
    response = await at_gas.deliver(press)
    assert response.status_code == 500
    assert TOKEN_SECRET not in response.text
    assert await stored(db, at_gas.user_id) == before
    update_id = press["update_id"]
    assert f"telegram update {update_id} failed: TelegramServerError" in caplog.text
    assert TOKEN_SECRET not in caplog.text


async def test_a_press_whose_query_is_too_old_to_answer_still_counts(
    at_gas: Resident, fake: FakeBotApi
) -> None:
    """A redelivered press may come after Telegram stopped accepting answers to its query."""
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    fake.script("answerCallbackQuery", Fail(400, too_old))
    await at_gas.press("gas:no")
    assert at_gas.options() == ["medical:yes", "medical:no"]


@pytest.mark.parametrize("reachable", [True, False])
async def test_the_token_is_not_in_the_text_of_bot_api_errors(
    sqlite_url: str, api_base: str, fake: FakeBotApi, reachable: bool
) -> None:
    fake.script("sendMessage", Fail(400, "Bad Request: chat not found"))
    base = api_base if reachable else f"http://127.0.0.1:{free_port()}"
    async with telegram_app(sqlite_url, base) as (app, _):
        components: Components = app.state.components
        assert components.telegram is not None
        bot = components.telegram.bot
        with pytest.raises(TelegramAPIError) as raised:
            await bot.send_message(4242, "hallo")
    assert isinstance(raised.value, TelegramBadRequest if reachable else TelegramNetworkError)
    assert TOKEN_SECRET not in str(raised.value)
    assert TOKEN_SECRET not in repr(raised.value)
    assert TOKEN_SECRET not in "".join(traceback.format_exception(raised.value))


# -- registering the webhook --------------------------------------------------------------------


@pytest.mark.parametrize("public_url", ["https://example.org", "https://example.org/"])
async def test_with_a_public_url_the_webhook_is_registered(
    sqlite_url: str,
    api_base: str,
    fake: FakeBotApi,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    public_url: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("WEERAAN_PUBLIC_URL", public_url)
    telegram = {"allowed_updates": "message,callback_query,my_chat_member", "max_connections": 7}
    async with telegram_app(sqlite_url, api_base, **telegram):
        (call,) = fake.calls_to("setWebhook")
    assert call["url"] == "https://example.org/telegram/webhook"
    assert call["secret_token"] == SECRET
    assert json.loads(call["allowed_updates"]) == ["message", "callback_query", "my_chat_member"]
    assert call["max_connections"] == "7"
    assert TOKEN_SECRET not in caplog.text


async def test_a_resident_sending_too_fast_gets_429_and_the_update_is_not_counted(
    sqlite_url: str, api_base: str, fake: FakeBotApi
) -> None:
    settings = settings_for(sqlite_url, api_base, rate_per_user_minute=1)
    async with running(settings) as app, connect(app) as http:
        resident = Resident(http, fake, user_id=9090)
        for _ in range(5):  # the burst
            await resident.start()
        update = resident.text_update("/start")
        response = await resident.deliver(update)
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) >= 1
        other = Resident(http, fake, user_id=9091)
        await other.start()  # another resident is not held back

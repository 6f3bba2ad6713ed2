"""The *claim* button in the caseworkers' Telegram chat: first press wins, everywhere.

A real dispatcher is fed real update JSON; aiogram talks over HTTP to a fake Bot API on
127.0.0.1 that records every call. Bookings and call-back requests are made through the
conversation store, their notifications delivered by the outbox worker.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.staff import Caseworker, ClaimKind, caseworker_of, claim_data, parse_claim
from dialogs.booking import Booked
from dialogs.eligibility import Decision
from dialogs.ports import ConversationKey
from dialogs.replies import RequestCallback
from tests.booking.conftest import CONFIG, NOW, request, seeded
from tests.fakes.telegram_api import BOT_ID, BOT_USERNAME, TOKEN, Call, FakeBotApi
from tests.outbox.helpers import ManualClock, booking_payload, callback_payload
from tests.staff.conftest import staff_app_on
from webhook.booking.config import BookingConfig
from webhook.compose import build_service
from webhook.db import create_engine
from webhook.outbox.delivery import OutboxMessage
from webhook.outbox.store import Event
from webhook.outbox.targets import build_deliverers
from webhook.outbox.telegram_target import make_bot
from webhook.outbox.worker import OutboxWorker
from webhook.settings import Settings, TelegramSettings
from webhook.staff.desk import StaffDesk
from webhook.staff.members import StaffMember, add_staff
from webhook.staff.problems import Conflict
from webhook.store import SqlConversationStore
from webhook.tables import bookings, callback_requests, conversations
from webhook.telegram.claims import CLAIM_LABEL, SqlClaims, staff_claim_keyboard
from webhook.telegram.runtime import build_dispatcher, telegram_runtime

STAFF_CHAT = -1001234567890
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "WeerAan", "username": BOT_USERNAME}
ANNA = {
    "id": 501,
    "is_bot": False,
    "first_name": "Anna",
    "last_name": "Bakker",
    "username": "anna_almere",
    "language_code": "nl",
}
BERT = {"id": 502, "is_bot": False, "first_name": "Bert", "language_code": "nl"}
TG_CONFIG = BookingConfig(schedule=CONFIG.schedule, staff_targets=("staff_telegram",))


# -- what Telegram shows ---------------------------------------------------------------------


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def from_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """What Telegram makes of our HTML (``<b>`` only): plain text and bold entities."""
    text, entities, opened = "", [], 0
    for token in re.split(r"(<[^>]+>)", source):
        if token == "<b>":
            opened = _utf16(text)
        elif token == "</b>":
            entities.append({"type": "bold", "offset": opened, "length": _utf16(text) - opened})
        elif not token.startswith("<"):
            text += html.unescape(token)
    return text, entities


def shown(sent: Call, message_id: int, chat: dict[str, Any] | None = None) -> dict[str, Any]:
    """The message as a callback query carries it: text with entities, its keyboard."""
    text, entities = from_html(sent["text"])
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(NOW.timestamp()),
        "chat": chat or {"id": int(sent["chat_id"]), "type": "supergroup", "title": "Schuldhulp"},
        "from": BOT_USER,
        "text": text,
        "entities": entities,
    }
    if "reply_markup" in sent.fields:
        message["reply_markup"] = sent["reply_markup"]
    return message


# -- the caseworkers' chat, a database and the dispatcher -------------------------------------


async def book(store: SqlConversationStore, resident: str, **changes: Any) -> str:
    """A resident books the first free office slot through the conversation store."""
    key = ConversationKey("telegram", resident)
    async with store.turn(key) as tx:
        [day, *_] = await tx.bookings.free_days(mode="office", urgent=False, now=NOW)
        [offer, *_] = await tx.bookings.free_slots(mode="office", day=day, urgent=False, now=NOW)
    async with store.turn(key) as tx:
        booked = await tx.bookings.book(request(offer.id, **changes), now=NOW)
    assert isinstance(booked, Booked)
    return booked.info.reference


async def request_callback(store: SqlConversationStore, resident: str) -> int:
    """A resident asks to be called back; the request's id."""
    key = ConversationKey("telegram", resident)
    decision = Decision("eligible", False, ("lives_in_almere", "cut_off"))
    async with store.turn(key) as tx:
        await tx.request_callback(RequestCallback("+31687654321", "morning", False, decision))
    async with store.engine.connect() as connection:
        found = await connection.scalar(
            select(callback_requests.c.id).where(callback_requests.c.external_id == resident)
        )
    assert found is not None
    return int(found)


@dataclass
class StaffChat:
    db: AsyncEngine
    store: SqlConversationStore
    api: FakeBotApi
    bot: Bot
    dispatcher: Dispatcher
    settings: Settings
    updates: Iterator[int] = field(default_factory=lambda: iter(range(1000, 10**6)))

    async def book(self, resident: str, **changes: Any) -> str:
        return await book(self.store, resident, **changes)

    async def request_callback(self, resident: str) -> int:
        return await request_callback(self.store, resident)

    async def deliver(self) -> list[Call]:
        """Run the outbox once, as ``weeraan serve`` does; the messages sent now."""
        before = len(self.api.sent)
        translator = build_service(self.settings, self.store).translator
        deliverers = build_deliverers(
            self.settings, translator, bot=self.bot, staff_keyboard=staff_claim_keyboard
        )
        await OutboxWorker(self.db, deliverers, clock=ManualClock()).run_once()
        return self.api.calls_to("sendMessage")[before:]

    async def press(self, user: dict[str, Any], data: str, message: dict[str, Any]) -> Call:
        """A caseworker presses a button; the answerCallbackQuery the bot gave."""
        update_id = next(self.updates)
        raw = {
            "update_id": update_id,
            "callback_query": {
                "id": f"cq-{update_id}",
                "from": user,
                "chat_instance": "-4242",
                "data": data,
                "message": message,
            },
        }
        update = Update.model_validate(raw, context={"bot": self.bot})
        await self.dispatcher.feed_update(self.bot, update)
        answers = self.api.calls_to("answerCallbackQuery")
        [answer] = [call for call in answers if call["callback_query_id"] == f"cq-{update_id}"]
        return answer


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
async def staff_chat(sqlite_db: AsyncEngine, api: FakeBotApi) -> AsyncIterator[StaffChat]:
    async with api.serve() as base:
        telegram = TelegramSettings(token=SecretStr(TOKEN), api_base=base, staff_chat_id=STAFF_CHAT)
        settings = Settings(telegram=telegram)
        store = await seeded(sqlite_db, TG_CONFIG)
        service = build_service(settings, store)
        dispatcher = build_dispatcher(
            service, claims=SqlClaims(sqlite_db), staff_chat_id=STAFF_CHAT
        )
        bot = make_bot(telegram)
        try:
            yield StaffChat(sqlite_db, store, api, bot, dispatcher, settings)
        finally:
            await bot.session.close()
    assert api.unknown == []


def claim_button(sent: Call) -> str:
    [[button]] = sent["reply_markup"]["inline_keyboard"]
    assert button["text"] == CLAIM_LABEL
    return str(button["callback_data"])


async def claimed_row(db: AsyncEngine, table: Any, where: Any) -> Any:
    async with db.connect() as connection:
        return (
            await connection.execute(
                select(
                    table.c.claimed_by,
                    table.c.claimed_at,
                    table.c.claimed_name,
                    table.c.claimed_telegram_id,
                ).where(where)
            )
        ).one()


# -- through the dispatcher -----------------------------------------------------------------


async def test_first_press_on_a_booking_wins_and_the_message_says_who(
    staff_chat: StaffChat, api: FakeBotApi
) -> None:
    reference = await staff_chat.book("1001", urgent=False)
    [sent] = await staff_chat.deliver()
    assert sent["chat_id"] == str(STAFF_CHAT)
    data = claim_button(sent)
    assert data == f"claim:b:{reference}"
    notification = shown(sent, message_id=1)

    first = await staff_chat.press(ANNA, data, notification)
    assert first["text"] == "Genoteerd"
    assert first.fields.get("show_alert") in (None, "false")
    [edit] = api.calls_to("editMessageText")
    assert (edit["chat_id"], edit["message_id"]) == (str(STAFF_CHAT), "1")
    assert edit["parse_mode"] == "HTML"
    assert edit["text"].startswith(f"<b>Nieuwe afspraak {reference}</b>\n"), "formatting kept"
    assert edit["text"].endswith("\n\n✅ Opgepakt door Anna B.")
    assert "reply_markup" not in edit.fields, "the button goes"
    row = await claimed_row(staff_chat.db, bookings, bookings.c.reference == reference)
    assert row.claimed_by is None
    assert row.claimed_at is not None
    assert (row.claimed_name, row.claimed_telegram_id) == ("Anna B.", 501)

    second = await staff_chat.press(BERT, data, notification)  # Bert's screen was not updated
    assert second["show_alert"] == "true"
    assert second["text"] == "Al opgepakt door Anna B."
    assert len(api.calls_to("editMessageText")) == 1, "a later press changes nothing"
    assert await claimed_row(staff_chat.db, bookings, bookings.c.reference == reference) == row

    async with staff_chat.db.connect() as connection:
        residents = (await connection.execute(select(conversations.c.external_id))).all()
    assert residents == [], "no press reached the residents' conversation"
    assert {call["chat_id"] for call in api.calls_to("sendMessage")} == {str(STAFF_CHAT)}


async def test_a_call_back_request_is_claimed_once_and_names_are_escaped(
    staff_chat: StaffChat, api: FakeBotApi
) -> None:
    callback_id = await staff_chat.request_callback("2002")
    [sent] = await staff_chat.deliver()
    data = claim_button(sent)
    assert data == f"claim:c:{callback_id}"
    notification = shown(sent, message_id=1)
    kees = {"id": 777, "is_bot": False, "first_name": "<Kees>", "last_name": "&Zonen"}

    assert (await staff_chat.press(kees, data, notification))["text"] == "Genoteerd"
    [edit] = api.calls_to("editMessageText")
    assert edit["text"].startswith(f"<b>Terugbelverzoek #{callback_id}</b>")
    assert edit["text"].endswith("Opgepakt door &lt;Kees&gt; &amp;.")
    row = await claimed_row(staff_chat.db, callback_requests, callback_requests.c.id == callback_id)
    assert (row.claimed_by, row.claimed_name, row.claimed_telegram_id) == (None, "<Kees> &.", 777)

    late = await staff_chat.press(ANNA, data, notification)
    assert (late["show_alert"], late["text"]) == ("true", "Al opgepakt door <Kees> &.")
    assert len(api.calls_to("editMessageText")) == 1


async def test_a_press_outside_the_staff_chat_is_answered_and_ignored(
    staff_chat: StaffChat, api: FakeBotApi
) -> None:
    reference = await staff_chat.book("1001")
    [sent] = await staff_chat.deliver()
    elsewhere = shown(sent, message_id=1, chat={"id": 501, "type": "private", "first_name": "A"})

    answer = await staff_chat.press(ANNA, claim_button(sent), elsewhere)
    assert "text" not in answer.fields
    assert api.calls_to("editMessageText") == []
    row = await claimed_row(staff_chat.db, bookings, bookings.c.reference == reference)
    assert (row.claimed_at, row.claimed_name) == (None, None)


async def test_a_press_on_an_unknown_booking_is_told_so(
    staff_chat: StaffChat, api: FakeBotApi
) -> None:
    await staff_chat.book("1001")
    [sent] = await staff_chat.deliver()
    answer = await staff_chat.press(ANNA, "claim:b:WA-2222", shown(sent, message_id=1))
    assert answer["show_alert"] == "true"
    assert "bestaat niet meer" in answer["text"]
    assert api.calls_to("editMessageText") == []


async def test_the_button_is_under_new_bookings_and_call_backs_only(
    staff_chat: StaffChat,
) -> None:
    reference = await staff_chat.book("1001")
    callback_id = await staff_chat.request_callback("2002")
    async with staff_chat.store.turn(ConversationKey("telegram", "1001")) as tx:
        await tx.bookings.cancel(now=NOW)
    sent = await staff_chat.deliver()
    by_title = {re.sub(r"<[^>]+>", "", form["text"]).split("\n")[0]: form for form in sent}
    assert set(by_title) == {
        f"🔴 SPOED Nieuwe afspraak {reference}",
        f"Terugbelverzoek #{callback_id}",
        f"🔴 SPOED Afspraak geannuleerd {reference}",
    }
    assert claim_button(by_title[f"🔴 SPOED Nieuwe afspraak {reference}"]) == (
        f"claim:b:{reference}"
    )
    assert claim_button(by_title[f"Terugbelverzoek #{callback_id}"]) == f"claim:c:{callback_id}"
    assert "reply_markup" not in by_title[f"🔴 SPOED Afspraak geannuleerd {reference}"].fields


@pytest.mark.parametrize(
    ("event", "payload", "data"),
    [
        ("booking.created", booking_payload(), "claim:b:WA-7K3Q"),
        ("callback.requested", callback_payload(), "claim:c:17"),
        ("booking.cancelled", booking_payload(), None),
        ("booking.rescheduled", booking_payload(), None),
        ("booking.reminder", booking_payload(), None),
    ],
)
def test_staff_claim_keyboard(event: Event, payload: dict[str, Any], data: str | None) -> None:
    message = OutboxMessage(1, "m", event, "staff_telegram", payload, 0, NOW)
    markup = staff_claim_keyboard(message)
    if data is None:
        assert markup is None
    else:
        assert markup is not None
        [[button]] = markup.inline_keyboard
        assert (button.text, button.callback_data) == (CLAIM_LABEL, data)
        assert parse_claim(data) is not None


def test_claim_data_stays_within_64_bytes() -> None:
    assert claim_data("booking", "WA-7K3Q") == "claim:b:WA-7K3Q"
    assert parse_claim("claim:c:17") == ("callback", "17")
    assert parse_claim("claim:x:17") is None
    assert parse_claim("day:2026-12-01") is None
    with pytest.raises(ValueError, match="64 bytes"):
        claim_data("booking", "W" * 60)


def test_a_caseworker_is_a_first_name_and_an_initial() -> None:
    from aiogram.types import User

    assert caseworker_of(User.model_validate(ANNA)) == Caseworker(501, "Anna B.")
    assert caseworker_of(User.model_validate(BERT)) == Caseworker(502, "Bert")
    spaced = User(id=9, is_bot=False, first_name="  Mary  Ann ", last_name=" de Vries")
    assert caseworker_of(spaced).name == "Mary Ann d."


# -- the database side, on SQLite and PostgreSQL ---------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> AsyncEngine:
    engine: AsyncEngine = request.getfixturevalue(f"{request.param}_db")
    return engine


def worker(n: int) -> Caseworker:
    return Caseworker(600 + n, f"Collega {n}.")


async def test_concurrent_presses_have_one_winner_and_the_dashboard_is_refused(
    db: AsyncEngine,
) -> None:
    store = await seeded(db, TG_CONFIG)
    reference = await book(store, "1001")
    callback_id = await request_callback(store, "2002")
    claims = SqlClaims(db)
    anna = (await add_staff(db, "Anna", now=datetime.now(UTC))).member
    kinds: list[tuple[ClaimKind, str]] = [("booking", reference), ("callback", str(callback_id))]

    for kind, ref in kinds:
        pressers = [worker(n) for n in range(6)]
        results = await asyncio.gather(*(claims.claim(kind, ref, who) for who in pressers))
        [winner] = [who for who, result in zip(pressers, results, strict=True)
                    if result.status == "claimed"]  # fmt: skip
        assert {result.by for result in results} == {winner.name}
        assert sorted(result.status for result in results) == ["claimed"] + ["taken"] * 5
        again = await claims.claim(kind, ref, winner)
        assert (again.status, again.by) == ("claimed", winner.name), "a double press is fine"

    desk = StaffDesk(db, TG_CONFIG, StaffMember(anna.id, anna.name))
    with pytest.raises(Conflict) as refused:
        await desk.claim_booking(reference)
    assert (refused.value.status, refused.value.code) == (409, "already_claimed")
    with pytest.raises(Conflict):
        await desk.claim_callback(callback_id)
    row = await desk.booking(reference)
    assert row.claimed_by is None
    assert row.claimed_by_name.startswith("Collega ")

    await desk.callback_done(callback_id)
    row = await claimed_row(db, callback_requests, callback_requests.c.id == callback_id)
    assert row.claimed_by is None, "marking done does not take over a Telegram claim"

    assert (await claims.claim("booking", "WA-2222", worker(1))).status == "unknown"
    assert (await claims.claim("callback", "999", worker(1))).status == "unknown"
    assert (await claims.claim("callback", "x1", worker(1))).status == "unknown"


async def test_a_dashboard_claim_first_is_reported_to_the_telegram_press(db: AsyncEngine) -> None:
    store = await seeded(db, TG_CONFIG)
    reference = await book(store, "1001")
    anna = (await add_staff(db, "Anna de Wit", now=datetime.now(UTC))).member
    await StaffDesk(db, TG_CONFIG, anna).claim_booking(reference)

    result = await SqlClaims(db).claim("booking", reference, worker(1))
    assert (result.status, result.by) == ("taken", "Anna de Wit")
    row = await claimed_row(db, bookings, bookings.c.reference == reference)
    assert (row.claimed_by, row.claimed_name, row.claimed_telegram_id) == (anna.id, None, None)


# -- the staff API after a Telegram claim -----------------------------------------------------


async def test_the_staff_api_refuses_a_later_claim_and_shows_who(sqlite_url: str) -> None:
    db = create_engine(sqlite_url)
    try:
        async with staff_app_on(sqlite_url, db) as app:
            reference = await app.book_direct(name="Fatima de Vries", urgent=True, resident="1")
            await app.request_callback(resident="2", urgent=False, phone="+31611111111")
            [callback] = (await app.get("/callbacks")).json()
            claims = SqlClaims(db)
            kees = Caseworker(777, "Kees J.")
            assert (await claims.claim("booking", reference, kees)).status == "claimed"
            assert (await claims.claim("callback", str(callback["id"]), kees)).status == "claimed"

            late = await app.post(f"/bookings/{reference}/claim")
            assert late.status_code == 409, late.text
            assert late.json()["error"] == "already_claimed"
            assert "Kees J." in late.json()["message"]
            late = await app.post(f"/callbacks/{callback['id']}/claim")
            assert (late.status_code, late.json()["error"]) == (409, "already_claimed")

            assert (await app.get(f"/bookings/{reference}")).json()["claimed_by"] == "Kees J."
            [listed] = (await app.get("/bookings")).json()
            assert listed["claimed_by"] == "Kees J."
            [callback] = (await app.get("/callbacks")).json()
            assert callback["claimed_by"] == "Kees J."
    finally:
        await db.dispose()


async def test_the_runtime_hands_the_claims_and_the_staff_chat_to_the_handlers(
    sqlite_db: AsyncEngine,
) -> None:
    telegram = TelegramSettings(
        token=SecretStr(TOKEN), api_base="http://127.0.0.1:9", staff_chat_id=STAFF_CHAT
    )
    settings = Settings(telegram=telegram)
    service = build_service(settings, await seeded(sqlite_db, TG_CONFIG))
    claims = SqlClaims(sqlite_db)
    async with telegram_runtime(settings, service, claims=claims) as runtime:
        assert runtime is not None
        assert runtime.dispatcher["claims"] is claims
        assert runtime.dispatcher["staff_chat_id"] == STAFF_CHAT
        names = [router.name for router in runtime.dispatcher.sub_routers]
        assert names.index("staff") < names.index("residents"), "claims before residents"

"""A corpus of hostile input through every channel: the widget API at every kind of
question, Telegram (typed text and callback data) and the terminal (``weeraan chat``).

Every answer is clear (200 with the question asked again or answered, or a documented 4xx),
never a 5xx or a crash; afterwards what is stored is well-formed: no control or bidi
characters in the answers, postcodes and phone numbers normalised, the tables still there,
and a name typed as HTML is stored as text and shown escaped on the staff dashboard.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from httpx import AsyncClient as Client
from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.ports import ConversationKey
from dialogs.state import ConversationState
from tests.fakes.telegram_api import FakeBotApi
from tests.staff.conftest import SESSIONS, StaffApp, first_option, later_day, to_days
from tests.staff.test_dashboard import Browser
from tests.telegram.test_webhook import (
    AFTER_POSTCODE,
    TO_POSTCODE,
    Resident,
    telegram_app,
)
from tests.test_cli import database
from webhook.compose import open_backend
from webhook.deps import Components
from webhook.settings import Settings
from webhook.tables import bookings, conversations

pytestmark = pytest.mark.slow

SQL = "'; DROP TABLE conversations;--"
CORPUS: list[str] = [
    "",
    " ",
    "\t \u3000 \u00a0",
    "\x00",
    "Jan\x00sen",
    "a\x01b\x07c\x1bd\x7fe",
    "ab\u0085cd\u009bef",  # C1 controls
    "\u202eesneJ naJ",  # right-to-left override
    "Jan \u2066Jansen\u2069 \u200f\u061c",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(1)>',
    SQL,
    "1' OR '1'='1",
    "Robert'); DROP TABLE bookings;--",
    "😀🔥",
    "👩\u200d👩\u200d👧\u200d👦 👨🏽\u200d💻",
    "١٣١٥ AB ١٢",  # Arabic-Indic postcode
    "१३१५ AB",  # Devanagari postcode
    "１３１５ AB １２",  # full-width digits
    "٠٦١٢٣٤٥٦٧٨",  # Arabic-Indic phone
    "०६ १२३४ ५६७८",  # Devanagari phone
    "０６－１２３４５６７８",  # full-width phone
    "۰۶۱۲۳۴۵۶۷۸",  # Extended Arabic-Indic (Persian) phone
    "9" * 5000,
    "x" * 1999,
    "Donaudampfschifffahrtsgesellschaftskapitän" * 40,
    "\ud800",  # a lone surrogate (JSON allows it as an escape)
    "%s%n{0}${jndi:ldap://x}",
    "../../etc/passwd",
    "Ｊａｎ Ｊａｎｓｅｎ",
    "e\u0301\u0301\u0301\u0301\u0301\u0301",  # stacked combining marks
    "a@b.c\u202e",
    "fatima@voorbeeld.nl",
    "1315 AB",
]
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
PATTERNS = {
    "postcode": re.compile(r"[1-9][0-9]{3} [A-Z]{2}"),
    "phone": re.compile(r"\+31[0-9]{9}"),
}
ERRORS = {413, 422}


def well_formed(value: str) -> bool:
    """No control characters (C0, C1, DEL) and no bidi controls."""
    return not any(unicodedata.category(ch) == "Cc" or ch in BIDI for ch in value)


def assert_stored_well_formed(state: ConversationState) -> None:
    for key, value in state.answers.items():
        assert well_formed(value), (key, value)
        if key in PATTERNS:
            assert PATTERNS[key].fullmatch(value), (key, value)


def question(turn: dict[str, Any]) -> tuple[Any, ...]:
    last = turn["messages"][-1]
    # After a few misunderstandings the question also offers "Medewerker" (cmd:person).
    return last["input"], tuple(o["id"] for o in last["options"] if not o["id"].startswith("cmd:"))


# -- the widget ---------------------------------------------------------------------------


class WidgetChat:
    def __init__(self, http: httpx.AsyncClient, session_id: str, token: str) -> None:
        self.http, self.session_id, self.token = http, session_id, token

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def raw(self, content: bytes) -> httpx.Response:
        headers = {"Content-Type": "application/json", **self.auth}
        url = f"{SESSIONS}/{self.session_id}/messages"
        return await self.http.post(url, content=content, headers=headers)

    async def text(self, text: str) -> httpx.Response:
        # ASCII escapes: a lone surrogate travels as "\\ud800", as JSON allows.
        return await self.raw(json.dumps({"text": text}).encode())

    async def send(self, **body: str) -> dict[str, Any]:
        response = await self.raw(json.dumps(body).encode())
        assert response.status_code == 200, response.text
        return dict(response.json())


async def at_choice(http: httpx.AsyncClient) -> tuple[WidgetChat, dict[str, Any]]:
    response = await http.post(SESSIONS, json={})
    body = response.json()
    return WidgetChat(http, body["session_id"], body["token"]), body


async def at_postcode(http: httpx.AsyncClient) -> tuple[WidgetChat, dict[str, Any]]:
    chat, turn = await at_choice(http)
    for option in ["lang:nl", "privacy:agree", "gas:no", "medical:no", "situation:cut_off",
                   "energy:gas"]:  # fmt: skip
        turn = await chat.send(option=option)
    return chat, turn


async def at_name(http: httpx.AsyncClient) -> tuple[WidgetChat, dict[str, Any]]:
    plain, days = await to_days(http)
    chat = WidgetChat(http, plain.session_id, plain.token)
    times = await chat.send(option=later_day(days))
    turn = await chat.send(option=first_option(times, "slot:"))
    assert turn["messages"][-1]["input"] == "text", turn
    return chat, turn


async def at_phone(http: httpx.AsyncClient) -> tuple[WidgetChat, dict[str, Any]]:
    chat, _ = await at_name(http)
    turn = await chat.send(text="Fatima de Vries")
    assert turn["messages"][-1]["input"] == "phone", turn
    return chat, turn


async def at_email(http: httpx.AsyncClient) -> tuple[WidgetChat, dict[str, Any]]:
    chat, _ = await at_phone(http)
    turn = await chat.send(text="06 12345678")
    assert turn["messages"][-1]["input"] == "email", turn
    return chat, turn


QUESTIONS: dict[str, Callable[[httpx.AsyncClient], Awaitable[tuple[WidgetChat, dict[str, Any]]]]]
QUESTIONS = {
    "choice": at_choice,
    "postcode": at_postcode,
    "name": at_name,
    "phone": at_phone,
    "email": at_email,
}
# What each question must accept from the corpus (normalised), everything else is re-asked.
ACCEPTED = {
    "postcode": {"١٣١٥ AB ١٢", "१३१५ AB", "１３１５ AB １２", "1315 AB"},
    "phone": {"٠٦١٢٣٤٥٦٧٨", "०६ १२३४ ५६७८", "０６－１２３４５６７８", "۰۶۱۲۳۴۵۶۷۸"},
}


async def widget_state(staff_app: StaffApp, session_id: str) -> ConversationState:
    return await state_of(staff_app.asgi, "widget", session_id)


@pytest.mark.parametrize("kind", list(QUESTIONS))
async def test_the_widget_answers_the_corpus_at_every_kind_of_question(
    staff_app: StaffApp, kind: str
) -> None:
    http = staff_app.http
    chat, asked = await QUESTIONS[kind](http)
    sessions = [chat.session_id]
    accepted: list[str] = []
    for item in CORPUS:
        response = await chat.text(item)
        assert response.status_code in {200, *ERRORS}, (item, response.text)
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        if response.status_code != 200:
            assert set(body) == {"error", "message"}, body
            continue
        assert body["messages"], body
        if question(body) != question(asked):
            accepted.append(item)
            chat, asked = await QUESTIONS[kind](http)
            sessions.append(chat.session_id)
    if kind in ACCEPTED:
        assert set(accepted) == ACCEPTED[kind]
    if kind == "name":
        assert "<script>alert(1)</script>" in accepted, "a name is any text with a letter"
        assert "" not in accepted and " " not in accepted
    for session_id in sessions:
        assert_stored_well_formed(await widget_state(staff_app, session_id))


async def test_the_widget_refuses_bodies_it_cannot_read(staff_app: StaffApp) -> None:
    chat, asked = await at_name(staff_app.http)
    under = json.dumps({"text": "é" * 1990}, ensure_ascii=False).encode()
    over = json.dumps({"text": "é" * 2100}, ensure_ascii=False).encode()
    assert len(under) < 4096 < len(over)
    bodies: dict[bytes, set[int]] = {
        under: {200},  # 1990 characters, just under 4 KiB: a (long) name, re-asked
        over: {413},
        b"x" * 4097: {413},
        b'{"text": "\xff\xfe\xc3("}': {422},
        b"\xef\xbb\xbf" + json.dumps({"text": "J"}).encode(): {200, 422},
        b'{"text": "a", "option": "b"}': {422},
        b'{"text": null}': {422},
        b'{"text": 12}': {422},
        b'{"text": ["a"]}': {422},
        b'{"text": "\\u0000\\u0000"}': {200},
        b'{"text": "' + b"\\u202e" * 100 + b'"}': {200},
        b"[]": {422},
        b"null": {422},
        b"": {422},
        b"{" * 2000: {422},
        b'{"text": "a"' + b', "x": 1' * 300 + b"}": {422},
    }
    for content, statuses in bodies.items():
        response = await chat.raw(content)
        assert response.status_code in statuses, (content[:40], response.text)
        if response.status_code == 200:
            assert question(response.json()) == question(asked), content[:40]
    assert_stored_well_formed(await widget_state(staff_app, chat.session_id))


async def test_injection_leaves_the_tables_and_html_names_are_text(
    staff_app: StaffApp, sqlite_engine: AsyncEngine
) -> None:
    hostile = '<img src=x onerror="alert(1)"> Jansen\'); DROP TABLE bookings;--'
    chat, _ = await at_name(staff_app.http)
    await chat.send(text=hostile)
    await chat.send(text="06 12345678")
    await chat.send(option="email:skip")
    booked = await chat.send(option="summary:confirm")
    reference = re.search(r"WA-[0-9A-Z]{4}", json.dumps(booked, ensure_ascii=False))
    assert reference, booked

    async with sqlite_engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        assert {"conversations", "bookings", "widget_sessions", "outbox"} <= set(names)
        assert await connection.scalar(select(func.count()).select_from(bookings)) == 1
        assert (await connection.scalar(select(func.count()).select_from(conversations)) or 0) >= 1

    detail = await staff_app.get(f"/bookings/{reference.group()}")
    assert detail.status_code == 200, detail.text
    assert detail.json()["name"] == hostile, "stored as the resident typed it: text"

    async with staff_app.client() as http:
        browser = Browser(http)
        assert (await browser.login(staff_app.anna.token)).status_code == 303
        for path in ("/staff/", f"/staff/bookings/{reference.group()}"):
            page = await browser.page(path)
            assert page.status_code == 200
            assert "<img src=x" not in page.text, path
            assert "&lt;img src=x onerror=" in page.text, path


# -- Telegram -----------------------------------------------------------------------------


@pytest.fixture
async def telegram(sqlite_url: str, api_base: str) -> AsyncIterator[tuple[FastAPI, Client]]:
    async with telegram_app(sqlite_url, api_base, rate_per_user_minute=100_000) as running:
        yield running


async def state_of(app: FastAPI, channel: str, external_id: str) -> ConversationState:
    """The stored conversation, read through the app's own store (it may be encrypted)."""
    components: Components = app.state.components
    state = await components.service.store.get(ConversationKey(channel, external_id))
    assert state is not None, (channel, external_id)
    return state


async def deliver_each(resident: Resident, updates: list[dict[str, Any]]) -> None:
    for update in updates:
        response = await resident.deliver(update)
        assert response.status_code == 200, (update, response.text)
        body = response.json()
        if body.get("method") == "sendMessage":
            resident.check(body)


async def test_telegram_answers_the_corpus_as_text_and_as_callback_data(
    telegram: tuple[FastAPI, Client], fake: FakeBotApi
) -> None:
    app, http = telegram
    typed = [item for item in CORPUS if item and item != "\ud800"]
    at_choice = Resident(http, fake, user_id=5001)
    await at_choice.start()
    await deliver_each(at_choice, [at_choice.text_update(item) for item in typed])

    at_postcode = Resident(http, fake, user_id=5002)
    await at_postcode.start()
    await at_postcode.walk(TO_POSTCODE)
    await deliver_each(at_postcode, [at_postcode.text_update(item) for item in typed])

    at_name = Resident(http, fake, user_id=5003)
    await at_name.start()
    await at_name.walk([*TO_POSTCODE, "1315 AB 12", *AFTER_POSTCODE])
    days = [o for o in at_name.options() if o.startswith("day:")]
    await at_name.press(days[-1])
    await at_name.press(next(o for o in at_name.options() if o.startswith("slot:")))
    await deliver_each(at_name, [at_name.text_update(item) for item in typed])

    pressing = Resident(http, fake, user_id=5004)
    await pressing.start()
    data = [item[:64] for item in CORPUS if item.strip() and item != "\ud800"] + [
        "lang:",
        ":",
        "slot:99999999999999",
    ]
    await deliver_each(pressing, [pressing.press_update(item) for item in data])

    for resident in (at_choice, at_postcode, at_name, pressing):
        assert_stored_well_formed(await state_of(app, "telegram", str(resident.user_id)))
    postcode_state = await state_of(app, "telegram", str(at_postcode.user_id))
    assert postcode_state.answer("postcode") == "1315 AB", "the Arabic-Indic one, first"


async def test_telegram_refuses_what_is_not_an_update(telegram: tuple[FastAPI, Client]) -> None:
    _, http = telegram
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret", "Content-Type": "application/json"}
    for content in [b"\xff\xfe", b"[]", b"null", b'{"update_id": "x"}', b"{" * 1000, b""]:
        response = await http.post("/telegram/webhook", content=content, headers=headers)
        assert response.status_code == 422, (content, response.text)


# -- the terminal -------------------------------------------------------------------------


def test_the_terminal_survives_the_corpus(tmp_path: Path) -> None:
    lines = [item for item in CORPUS if "\n" not in item and item != "\ud800"]
    script = "\n".join(lines).encode("utf-8") + b"\n\xff\xfe invalid \xc3(\n1\n"
    script += "\n".join(["1", "1", "2", "2", "1", "2"]).encode() + b"\n"
    script += "\n".join(lines).encode("utf-8") + b"\n"
    # The same settings as this process reads the database with (the keys too, if any).
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEERAAN_")}
    clean |= {k: v for k, v in os.environ.items() if k == "WEERAAN_KEYS"}
    clean["WEERAAN_DATABASE_URL"] = f"sqlite+aiosqlite:///{database(tmp_path)}"
    clean["PYTHONIOENCODING"] = "utf-8"
    result = subprocess.run(
        [sys.executable, "-m", "weeraan", "chat"],
        input=script,
        capture_output=True,
        cwd=tmp_path,
        env=clean,
        timeout=120,
        check=False,
    )
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    stdout = result.stdout.decode("utf-8")
    assert "> 1\n" in stdout
    assert stdout.count("> ") > len(CORPUS), "every line was answered"
    rows = _terminal_states(database(tmp_path))
    assert rows, "the conversation was stored"
    for state in rows:
        assert_stored_well_formed(state)


def _terminal_states(path: Path) -> list[ConversationState]:
    """The terminal's conversations, read the way ``weeraan chat`` reads them."""

    async def read() -> list[ConversationState]:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{path}")
        async with open_backend(settings) as backend:
            async with backend.db.connect() as connection:
                where = conversations.c.channel == "terminal"
                ids = await connection.execute(select(conversations.c.external_id).where(where))
                keys = [ConversationKey("terminal", i) for i in ids.scalars()]
            found = [await backend.service.store.get(key) for key in keys]
        return [state for state in found if state is not None]

    return asyncio.run(read())

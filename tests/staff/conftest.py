"""The app with its staff side, on SQLite and PostgreSQL, and residents who book through it.

Bookings are made the way residents make them (the widget conversation) where the booking
itself matters, and straight through the conversation store where only its fields do.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.booking import Booked, BookRequest
from dialogs.eligibility import Decision
from dialogs.ports import ConversationKey
from dialogs.replies import RequestCallback
from tests.webhook.test_widget_api import GENEROUS, connect, running
from tests.widget_paths import ELIGIBLE, PREVENTION
from webhook.booking.config import BookingConfig
from webhook.booking.slots import free_slots
from webhook.crypto import Vault
from webhook.db import create_engine
from webhook.settings import Settings, TelegramSettings
from webhook.staff.members import NewStaff, add_staff
from webhook.store import SqlConversationStore
from webhook.tables import audit_log, outbox

SESSIONS = "/api/chat/sessions"
EVERY_DAY = {
    "days": "mon,tue,wed,thu,fri,sat,sun",
    "hours": "08:00-20:00",
    "intake_minutes": 60,
    "office_address": "Voorbeeldstraat 1, Almere",
    "capacity": 1,
}
# A staff webhook target, so bookings write caseworker notifications to the outbox. Nothing
# listens on port 9: the outbox worker's deliveries fail and are retried, which is fine here.
NOTIFY = {
    "webhook_url": "http://127.0.0.1:9/weeraan",
    "webhook_secret": "whsec_" + base64.b64encode(b"s" * 32).decode(),
}
REFERENCE = re.compile(r"WA-[2-9A-HJKMNP-TW-Z]{4}")


def staff_settings(url: str, telegram: TelegramSettings | None = None) -> Settings:
    return Settings(
        database_url=url,
        widget=GENEROUS,
        schedule=EVERY_DAY,
        notify=NOTIFY,
        telegram=telegram or TelegramSettings(),
    )


@dataclass
class Chat:
    http: httpx.AsyncClient
    session_id: str
    token: str

    async def send(self, **body: str) -> dict[str, Any]:
        response = await self.http.post(
            f"{SESSIONS}/{self.session_id}/messages",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


def options(turn: dict[str, Any]) -> list[str]:
    return [option["id"] for option in turn["messages"][-1]["options"]]


def first_option(turn: dict[str, Any], prefix: str) -> str:
    found = [option for option in options(turn) if option.startswith(prefix)]
    assert found, (prefix, turn)
    return found[0]


def later_day(turn: dict[str, Any]) -> str:
    """The second day offered (tomorrow or later): its slots cannot pass the notice time while
    a test runs, as today's first slot can (the tests run on the real clock)."""
    found = [option for option in options(turn) if option.startswith("day:")]
    assert found, turn
    return found[1] if len(found) > 1 else found[0]


async def open_chat(http: httpx.AsyncClient) -> Chat:
    response = await http.post(SESSIONS, json={})
    assert response.status_code == 201, response.text
    body = response.json()
    return Chat(http, body["session_id"], body["token"])


async def to_days(
    http: httpx.AsyncClient, *, mode: str = "office", urgent: bool = True
) -> tuple[Chat, dict[str, Any]]:
    """A new resident, answered up to the day question; returns the chat and that turn."""
    chat = await open_chat(http)
    for step in ELIGIBLE if urgent else PREVENTION:
        await chat.send(**step)
    return chat, await chat.send(option=f"mode:{mode}")


async def book_via_widget(
    http: httpx.AsyncClient,
    *,
    name: str = "Fatima de Vries",
    phone: str = "06 12345678",
    mode: str = "office",
    urgent: bool = True,
) -> str:
    """A resident books a time on a later day through the widget: the reference."""
    chat, days = await to_days(http, mode=mode, urgent=urgent)
    times = await chat.send(option=later_day(days))
    await chat.send(option=first_option(times, "slot:"))
    await chat.send(text=name)
    await chat.send(text=phone)
    await chat.send(option="email:skip")
    booked = await chat.send(option="summary:confirm")
    said = "\n".join(message["text"] for message in booked["messages"])
    match = REFERENCE.search(said)
    assert match, said
    return match.group(0)


@dataclass
class StaffApp:
    """The running app, a second engine on its database, and one caseworker's token."""

    http: httpx.AsyncClient
    db: AsyncEngine
    settings: Settings
    anna: NewStaff
    asgi: FastAPI

    @asynccontextmanager
    async def client(self, base_url: str = "http://test") -> AsyncIterator[httpx.AsyncClient]:
        """Another client of the same app (a second browser, or one over HTTPS)."""
        transport = httpx.ASGITransport(app=self.asgi, client=("127.0.0.1", 50_001))
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            yield http

    @property
    def config(self) -> BookingConfig:
        return BookingConfig.from_settings(self.settings, Vault(self.settings.key_list))

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.anna.token}"}

    async def get(self, path: str, token: str | None = None, **params: str) -> httpx.Response:
        return await self.http.get(f"/api/staff{path}", headers=self.auth(token), params=params)

    async def post(
        self, path: str, body: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        return await self.http.post(f"/api/staff{path}", json=body, headers=self.auth(token))

    async def add_staff(self, name: str) -> NewStaff:
        return await add_staff(self.db, name, now=datetime.now(UTC))

    async def book_direct(
        self, *, name: str, urgent: bool, resident: str, slot_index: int = 0, **changes: Any
    ) -> str:
        """A booking straight through the conversation store, for a free slot."""
        now = datetime.now(UTC)
        async with self.db.connect() as connection:
            offers = await free_slots(connection, self.config, mode="office", now=now, urgent=False)
        values: dict[str, Any] = {
            "slot_id": offers[slot_index].id,
            "name": name,
            "phone": "+31612345678",
            "email": None,
            "locale": "nl",
            "outcome": "eligible" if urgent else "prevention",
            "urgent": urgent,
            "reasons": ("lives_in_almere", "cut_off" if urgent else "not_cut_off"),
            "rule_version": "almere-2020.1",
            "situation": "cut_off" if urgent else "letter",
            "energy": "gas",
            "supplier": "vattenfall",
        }
        values.update(changes)
        store = SqlConversationStore(self.db, self.config)
        async with store.turn(ConversationKey("telegram", resident)) as tx:
            result = await tx.bookings.book(BookRequest(**values), now=now)
        assert isinstance(result, Booked)
        return result.info.reference

    async def request_callback(self, *, resident: str, urgent: bool, phone: str) -> None:
        store = SqlConversationStore(self.db, self.config)
        decision = Decision("eligible", urgent, ("lives_in_almere", "cut_off"))
        async with store.turn(ConversationKey("telegram", resident)) as tx:
            await tx.request_callback(
                RequestCallback(
                    phone=phone,
                    part_of_day="morning",
                    urgent=urgent,
                    decision=decision,
                    situation="cut_off",
                    energy="both",
                    supplier="vattenfall",
                )
            )

    async def audit(self) -> list[tuple[int | None, str, str]]:
        async with self.db.connect() as connection:
            rows = (
                await connection.execute(
                    select(audit_log.c.staff_id, audit_log.c.action, audit_log.c.subject).order_by(
                        audit_log.c.id
                    )
                )
            ).all()
        return [(row.staff_id, row.action, row.subject) for row in rows]

    async def outbox_events(self, reference: str) -> list[str]:
        async with self.db.connect() as connection:
            rows = (await connection.execute(select(outbox.c.event, outbox.c.payload))).all()
        opened = [(row.event, json.loads(self.config.vault.open_text(row.payload))) for row in rows]
        return [event for event, payload in opened if payload.get("reference") == reference]


@asynccontextmanager
async def staff_app_on(
    url: str, db: AsyncEngine, telegram: TelegramSettings | None = None
) -> AsyncIterator[StaffApp]:
    """The app on ``url``; with ``telegram``, its bot and outbox talk to that Bot API."""
    settings = staff_settings(url, telegram)
    async with running(settings) as app, connect(app) as http:
        anna = await add_staff(db, "Anna", now=datetime.now(UTC))
        yield StaffApp(http, db, settings, anna, app)


@pytest.fixture
async def sqlite_engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    """A second engine on the app's SQLite file (the app migrates it at start-up)."""
    db = create_engine(sqlite_url)
    yield db
    await db.dispose()


@pytest.fixture
async def staff_app(sqlite_url: str, sqlite_engine: AsyncEngine) -> AsyncIterator[StaffApp]:
    async with staff_app_on(sqlite_url, sqlite_engine) as app:
        yield app


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> tuple[str, AsyncEngine]:
    """SQLite, and PostgreSQL migrated and emptied by ``postgres_db`` (sync: it asks the
    async fixtures outside a running loop)."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url"), request.getfixturevalue("sqlite_engine")
    return request.getfixturevalue("postgres_url"), request.getfixturevalue("postgres_db")


@pytest.fixture
async def any_staff_app(database: tuple[str, AsyncEngine]) -> AsyncIterator[StaffApp]:
    """The app on each database."""
    url, db = database
    async with staff_app_on(url, db) as app:
        yield app

"""A new widget session with the language and source of a link (``weeraan-lang``,
``weeraan-source``), through the real app: what is stored, what is refused, what a resumed
session keeps. The browser side is in ``test_browser_link.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.state import ConversationState
from tests.conftest import TEST_VAULT
from tests.poster.posters import catalog_text
from tests.webhook.test_widget_api import (
    GENEROUS,
    SESSIONS,
    assert_error,
    connect,
    running,
    stored_conversation,
    stored_sessions,
)
from webhook.db import create_engine
from webhook.settings import Settings

ARABIC_LANGUAGE_QUESTION = catalog_text("ar", "In welke taal wilt u verder?")


@pytest.fixture
async def client(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=sqlite_url, widget=GENEROUS)
    async with running(settings) as app, connect(app) as http:
        yield http


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(sqlite_url)
    yield engine
    await engine.dispose()


async def stored_state(db: AsyncEngine, session_id: str) -> ConversationState:
    row = await stored_conversation(db, session_id)
    assert row is not None
    return ConversationState.from_json(TEST_VAULT.open_text(row["state"]))


async def create(http: httpx.AsyncClient, body: Any, language: str = "") -> dict[str, Any]:
    """``POST /api/chat/sessions`` with ``body`` and ``Accept-Language: language``."""
    response = await http.post(SESSIONS, json=body, headers={"Accept-Language": language})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_new_session_starts_in_the_links_language_and_keeps_its_source(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    created = await create(client, {"locale": "ar", "source": "poster"}, "nl")
    assert created["locale"] == "ar"
    assert created["messages"][-1]["text"] == ARABIC_LANGUAGE_QUESTION
    state = await stored_state(db, created["session_id"])
    assert (state.source, state.locale) == ("poster", "ar")


@pytest.mark.parametrize("body", [{}, {"locale": "nl"}, {"source": None}])
async def test_without_a_source_the_conversation_is_recorded_as_widget(
    client: httpx.AsyncClient, db: AsyncEngine, body: dict[str, Any]
) -> None:
    created = await create(client, body)
    assert (await stored_state(db, created["session_id"])).source == "widget"


@pytest.mark.parametrize("source", ["brief_2026-11", "a" * 64, "Z"])
async def test_every_source_by_telegrams_rule_is_kept_as_given(
    client: httpx.AsyncClient, db: AsyncEngine, source: str
) -> None:
    created = await create(client, {"source": source})
    assert (await stored_state(db, created["session_id"])).source == source


@pytest.mark.parametrize(
    "source", ["", "a" * 65, "brief 2026", "brief/2026", "été", "brief\n", "<b>", 7, ["poster"]]
)
async def test_a_bad_source_is_refused_and_starts_nothing(
    client: httpx.AsyncClient, db: AsyncEngine, source: object
) -> None:
    response = await client.post(SESSIONS, json={"locale": "ar", "source": source})
    assert_error(response, 422, "invalid_body")
    assert response.json()["message"].startswith("source: ")
    assert await stored_sessions(db) == []


@pytest.mark.parametrize(("header", "expected"), [("tr,en;q=0.5", "tr"), ("de", "nl"), ("", "nl")])
async def test_a_language_not_offered_gives_the_usual_choice(
    client: httpx.AsyncClient, header: str, expected: str
) -> None:
    created = await create(client, {"locale": "de", "source": "poster"}, header)
    assert created["locale"] == expected


async def test_a_language_left_out_of_the_offer_is_passed_over(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, widget=GENEROUS, languages="nl,en")
    async with running(settings) as app, connect(app) as http:
        created = await create(http, {"locale": "ar"}, "en")
    assert created["locale"] == "en"


async def test_a_resumed_session_keeps_its_language_and_source(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    created = await create(client, {"locale": "ar", "source": "poster"})
    session, auth = created["session_id"], {"Authorization": f"Bearer {created['token']}"}
    another = await create(client, {"locale": "pl", "source": "brief"})
    resumed = await client.get(f"{SESSIONS}/{session}", headers=auth)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["locale"] == "ar"
    assert resumed.json()["messages"][-1]["text"] == ARABIC_LANGUAGE_QUESTION
    state = await stored_state(db, session)
    assert (state.source, state.locale) == ("poster", "ar")
    assert (await stored_state(db, another["session_id"])).source == "brief"


async def test_the_source_and_its_rule_are_in_the_openapi_schema(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    body = schema["components"]["schemas"]["SessionCreate"]
    source = body["properties"]["source"]
    choices = source.get("anyOf", [source])
    assert {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"} in [
        {k: v for k, v in c.items() if k in ("type", "pattern")} for c in choices
    ]
    assert body["additionalProperties"] is False
    create_session = schema["paths"][SESSIONS]["post"]["responses"]
    assert "422" in create_session

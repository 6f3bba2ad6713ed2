"""Every language over the widget API, and switching language halfway (answers kept)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from dialogs.languages import DEFAULT_LANGUAGES, language_name
from tests.webhook.test_widget_api import GENEROUS, connect, running
from webhook.settings import Settings


@pytest.fixture
async def api(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=sqlite_url, widget=GENEROUS)
    async with running(settings) as app, connect(app) as http:
        yield http


async def _session(api: httpx.AsyncClient, locale: str) -> tuple[str, dict[str, str], dict]:  # type: ignore[type-arg]
    response = await api.post("/api/chat/sessions", json={"locale": locale})
    body = response.json()
    return body["session_id"], {"Authorization": f"Bearer {body['token']}"}, body


async def test_each_language_speaks_its_own_welcome(api: httpx.AsyncClient) -> None:
    welcomes = {}
    for code in DEFAULT_LANGUAGES:
        _, _, body = await _session(api, code)
        assert body["locale"] == code
        welcomes[code] = body["messages"][0]["text"]
        labels = [o["label"] for o in body["messages"][-1]["options"]]
        plain = [label.replace("\u2068", "").replace("\u2069", "") for label in labels]
        assert plain == [language_name(c) for c in DEFAULT_LANGUAGES], "own names (isolated in RTL)"
    assert len(set(welcomes.values())) == len(DEFAULT_LANGUAGES), "six different welcomes"
    assert all("112" in text and "0800-9009" in text for text in welcomes.values())


async def test_switching_language_halfway_keeps_the_answers(api: httpx.AsyncClient) -> None:
    session, auth, _ = await _session(api, "tr")
    url = f"/api/chat/sessions/{session}/messages"
    for option in ("lang:tr", "privacy:agree", "gas:no"):
        turkish = await api.post(url, json={"option": option}, headers=auth)
    asked_in_turkish = turkish.json()["messages"][-1]["text"]
    await api.post(url, json={"option": "cmd:language"}, headers=auth)
    switched = (await api.post(url, json={"option": "lang:pl"}, headers=auth)).json()
    assert switched["locale"] == "pl"
    polish = switched["messages"][-1]
    assert [o["id"] for o in polish["options"]] == ["medical:yes", "medical:no"]
    assert polish["text"] != asked_in_turkish, "the same question, now in Polish"
    resumed = (await api.get(f"/api/chat/sessions/{session}", headers=auth)).json()
    assert resumed["locale"] == "pl"
    assert resumed["messages"][-1]["text"] == polish["text"]

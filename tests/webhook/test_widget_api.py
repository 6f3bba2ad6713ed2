"""The widget JSON API (PRODUCT.md §3), driven through the real app and its lifespan."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.languages import LANGUAGE_NAMES, from_accept_language
from dialogs.state import ConversationState
from tests.conftest import TEST_VAULT
from webhook.app import create_app
from webhook.db import create_engine
from webhook.settings import Settings
from webhook.tables import conversations, widget_sessions

SESSIONS = "/api/chat/sessions"
GENEROUS = {"rate_per_minute": 10_000, "rate_per_ip_minute": 10_000}
INPUT_KINDS = {None, "text", "postcode", "phone", "email"}
LANGUAGE_IDS = ["lang:nl", "lang:en", "lang:uk", "lang:tr", "lang:ar", "lang:pl"]
STALE = "Die vraag is al voorbij"

# The answers that lead to "eligible", each with the option ids of the question it leads to.
TO_ELIGIBLE: list[tuple[dict[str, str], list[str]]] = [
    ({"option": "lang:nl"}, ["privacy:agree", "privacy:more", "privacy:decline"]),
    ({"option": "privacy:agree"}, ["gas:yes", "gas:no"]),
    ({"option": "gas:no"}, ["medical:yes", "medical:no"]),
    ({"option": "medical:no"}, ["situation:cut_off", "situation:letter", "situation:arrears",
                                "situation:other"]),
    ({"option": "situation:cut_off"}, ["energy:electricity", "energy:gas", "energy:both",
                                       "energy:heat"]),
    ({"option": "energy:gas"}, ["location:outside"]),
    ({"text": "1315 AB 12"}, ["supplier:vattenfall", "supplier:other", "supplier:unknown"]),
    ({"option": "supplier:vattenfall"}, ["debt:yes", "debt:already", "debt:no", "debt:explain"]),
    ({"option": "debt:yes"}, ["budget:yes", "budget:no", "budget:explain", "budget:unsure"]),
    ({"option": "budget:yes"}, ["eligible:book", "eligible:stop"]),
]  # fmt: skip


# -- running the app ------------------------------------------------------------------------


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def connect(app: FastAPI, ip: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(ip, 50_000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def client(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=sqlite_url, widget=GENEROUS)
    async with running(settings) as app, connect(app) as http:
        yield http


@pytest.fixture
async def sqlite_engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    """A second engine on the app's SQLite file, to look at what the app stored."""
    db = create_engine(sqlite_url)
    yield db
    await db.dispose()


# -- helpers --------------------------------------------------------------------------------


@dataclass
class Chat:
    http: httpx.AsyncClient
    session_id: str
    token: str
    created: dict[str, Any]

    @property
    def path(self) -> str:
        return f"{SESSIONS}/{self.session_id}"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def post(self, **body: Any) -> httpx.Response:
        return await self.http.post(f"{self.path}/messages", json=body, headers=self.auth)

    async def post_raw(self, content: Any, **headers: str) -> httpx.Response:
        headers = {"Content-Type": "application/json", **self.auth, **headers}
        return await self.http.post(f"{self.path}/messages", content=content, headers=headers)

    async def send(self, **body: Any) -> dict[str, Any]:
        response = await self.post(**body)
        assert response.status_code == 200, response.text
        return assert_turn(response.json())

    async def resume(self) -> dict[str, Any]:
        response = await self.http.get(self.path, headers=self.auth)
        assert response.status_code == 200, response.text
        return assert_turn(response.json())

    async def walk(self, steps: Iterable[tuple[dict[str, str], list[str]]]) -> dict[str, Any]:
        turn: dict[str, Any] = {}
        for body, expected in steps:
            turn = await self.send(**body)
            assert option_ids(turn) == expected, (body, turn)
        return turn


async def open_chat(http: httpx.AsyncClient, **headers: str) -> Chat:
    response = await http.post(SESSIONS, json={}, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    return Chat(http, body["session_id"], body["token"], body)


def assert_message(message: Any) -> None:
    assert isinstance(message, dict)
    assert set(message) == {"text", "options", "input"}
    assert isinstance(message["text"], str)
    assert message["text"].strip()
    assert message["input"] in INPUT_KINDS
    assert isinstance(message["options"], list)
    for option in message["options"]:
        assert set(option) == {"id", "label"}
        assert isinstance(option["id"], str)
        assert option["id"]
        assert isinstance(option["label"], str)
        assert option["label"]


def assert_turn(body: Any) -> dict[str, Any]:
    # PRODUCT.md's three fields, plus ``calendar``: the .ics link once an intake is booked.
    assert set(body) == {"messages", "locale", "ended", "calendar"}
    assert body["calendar"] is None or body["calendar"].endswith("/calendar.ics")
    assert isinstance(body["ended"], bool)
    assert isinstance(body["locale"], str)
    assert body["messages"]
    for message in body["messages"]:
        assert_message(message)
    return dict(body)


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "message"}
    assert isinstance(body["error"], str)
    assert body["error"]
    assert isinstance(body["message"], str)
    assert body["message"]
    if code is not None:
        assert body["error"] == code


def option_ids(turn: dict[str, Any]) -> list[str]:
    return [option["id"] for option in turn["messages"][-1]["options"]]


def texts(turn: dict[str, Any]) -> str:
    return "\n".join(message["text"] for message in turn["messages"])


async def stored_conversation(db: AsyncEngine, session_id: str) -> dict[str, Any] | None:
    async with db.connect() as connection:
        row = (
            await connection.execute(
                select(conversations).where(
                    conversations.c.channel == "widget",
                    conversations.c.external_id == session_id,
                )
            )
        ).first()
    return None if row is None else dict(row._mapping)


async def stored_sessions(db: AsyncEngine) -> list[dict[str, Any]]:
    async with db.connect() as connection:
        rows = (await connection.execute(select(widget_sessions))).all()
    return [dict(row._mapping) for row in rows]


# -- creating a session ---------------------------------------------------------------------


class TestCreateSession:
    async def test_created_session_has_the_documented_shape(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(SESSIONS, json={})
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"session_id", "token", "locale", "messages"}
        assert re.fullmatch(r"[0-9a-f]{32}", body["session_id"])
        assert body["locale"] == "nl"
        for message in body["messages"]:
            assert_message(message)
        welcome, language = body["messages"]
        assert "WeerAan" in welcome["text"]
        assert welcome["options"] == []
        assert [o["id"] for o in language["options"]] == LANGUAGE_IDS
        assert language["options"][0]["label"] == "Nederlands"
        assert language["input"] is None

    async def test_a_session_can_be_created_without_a_body(self, client: httpx.AsyncClient) -> None:
        response = await client.post(SESSIONS)
        assert response.status_code == 201
        assert response.json()["locale"] == "nl"

    async def test_tokens_are_long_random_and_never_repeat(self, client: httpx.AsyncClient) -> None:
        chats = [await open_chat(client) for _ in range(5)]
        tokens = [chat.token for chat in chats]
        assert len(set(tokens)) == len(tokens)
        assert len({chat.session_id for chat in chats}) == len(chats)
        for chat in chats:
            token = chat.token
            assert re.fullmatch(r"[A-Za-z0-9_-]{32,}", token), token
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            assert len(raw) * 8 >= 128
            assert len(set(token)) >= 16  # 43 random characters: about 31 distinct expected
            assert token != chat.session_id
            assert chat.session_id not in token

    @pytest.mark.parametrize(
        ("locale", "expected"),
        [("en", "en"), ("ar", "ar"), ("uk", "uk"), ("en-GB", "en"), ("de", "nl"), ("", "nl")],
    )
    async def test_locale_from_the_body(
        self, client: httpx.AsyncClient, locale: str, expected: str
    ) -> None:
        response = await client.post(SESSIONS, json={"locale": locale})
        assert response.status_code == 201
        assert response.json()["locale"] == expected

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("ar-EG,en;q=0.5", "ar"),
            ("de", "nl"),
            ("en-US,en;q=0.9,nl;q=0.8", "en"),
            ("pl;q=0.2, tr;q=0.9", "tr"),
            ("*", "nl"),
        ],
    )
    async def test_locale_from_accept_language(
        self, client: httpx.AsyncClient, header: str, expected: str
    ) -> None:
        response = await client.post(SESSIONS, headers={"Accept-Language": header})
        assert response.status_code == 201
        assert response.json()["locale"] == expected

    async def test_the_body_locale_wins_over_accept_language(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            SESSIONS, json={"locale": "uk"}, headers={"Accept-Language": "ar"}
        )
        assert response.json()["locale"] == "uk"

    async def test_the_token_is_stored_only_as_a_hash(
        self, client: httpx.AsyncClient, sqlite_engine: AsyncEngine, sqlite_url: str
    ) -> None:
        chat = await open_chat(client)
        await chat.send(option="lang:nl")
        rows = await stored_sessions(sqlite_engine)
        assert len(rows) == 1
        row = rows[0]
        assert row["id"] == chat.session_id
        assert row["token_hash"] == hashlib.sha256(chat.token.encode()).hexdigest()
        for column, value in row.items():
            assert chat.token not in str(value), column
        conversation = await stored_conversation(sqlite_engine, chat.session_id)
        assert conversation is not None
        assert all(chat.token not in str(value) for value in conversation.values())
        # Nor anywhere in the database files (main file and write-ahead log).
        database = Path(sqlite_url.split("///", 1)[1])
        files = [p for p in database.parent.iterdir() if p.name.startswith(database.name)]
        assert database in files
        for path in files:
            assert chat.token.encode() not in path.read_bytes(), path


# -- a conversation over the API ------------------------------------------------------------


class TestConversation:
    async def test_a_whole_conversation_reaches_eligible_with_reasons(
        self, client: httpx.AsyncClient, sqlite_engine: AsyncEngine
    ) -> None:
        chat = await open_chat(client)
        steps = [
            ({"text": "Nederlands"}, TO_ELIGIBLE[0][1]),
            ({"option": "privacy:agree"}, TO_ELIGIBLE[1][1]),
            ({"text": "Nee"}, TO_ELIGIBLE[2][1]),
            ({"option": "medical:no"}, TO_ELIGIBLE[3][1]),
            ({"text": "Ik ben afgesloten"}, TO_ELIGIBLE[4][1]),
            ({"option": "energy:both"}, TO_ELIGIBLE[5][1]),
            ({"text": "1315 AB 12"}, TO_ELIGIBLE[6][1]),
            ({"option": "supplier:vattenfall"}, TO_ELIGIBLE[7][1]),
            ({"text": "Ja, ik wil meedoen"}, TO_ELIGIBLE[8][1]),
        ]
        before = await chat.walk(steps)
        assert before["messages"][-1]["input"] is None
        outcome = await chat.send(option="budget:yes")
        assert outcome["locale"] == "nl"
        assert outcome["ended"] is False  # the outcome still offers an appointment
        said = texts(outcome)
        assert "Goed nieuws" in said
        assert "Dit is waarom:" in said
        for reason in [
            "U woont in Almere.",
            "Uw energie is afgesloten.",
            "Uw energiebedrijf is Vattenfall",
            "U wilt meedoen met schuldhulp.",
            "U kiest voor budgetbeheer.",
        ]:
            assert f"• {reason}" in said
        assert option_ids(outcome) == ["eligible:book", "eligible:stop"]
        stored = await stored_conversation(sqlite_engine, chat.session_id)
        assert stored is not None
        assert stored["node"] == "eligible"
        state = ConversationState.from_json(TEST_VAULT.open_text(stored["state"]))
        assert state.decision is not None
        assert state.decision.outcome == "eligible"
        assert state.answers["postcode"] == "1315 AB"

        goodbye = await chat.send(option="eligible:stop")
        assert goodbye["ended"] is True
        assert goodbye["messages"][-1]["options"] == []

    @pytest.mark.parametrize(
        ("typed", "expected"),
        [("akkoord", ["gas:yes", "gas:no"]), ("  AKKOORD! ", ["gas:yes", "gas:no"])],
    )
    async def test_typed_labels_are_understood(
        self, client: httpx.AsyncClient, typed: str, expected: list[str]
    ) -> None:
        chat = await open_chat(client)
        await chat.walk(TO_ELIGIBLE[:1])
        turn = await chat.send(text=typed)
        assert option_ids(turn) == expected
        turn = await chat.send(text="nee")
        assert option_ids(turn) == TO_ELIGIBLE[2][1]

    async def test_an_invalid_postcode_is_asked_again_with_an_example(
        self, client: httpx.AsyncClient
    ) -> None:
        chat = await open_chat(client)
        asked = await chat.walk(TO_ELIGIBLE[:6])
        assert asked["messages"][-1]["input"] == "postcode"
        for attempt, wrong in enumerate(["12", "postcode", "1315"], start=1):
            turn = await chat.send(text=wrong)
            (message,) = turn["messages"]
            assert message["input"] == "postcode"
            assert "1315 AB" in message["text"]  # an example of the expected form
            # From the second failure on, a caseworker call-back is offered too.
            extra = ["cmd:person"] if attempt >= 2 else []
            assert [o["id"] for o in message["options"]] == ["location:outside", *extra]
        resumed = await chat.resume()
        assert resumed["messages"][-1]["input"] == "postcode"
        turn = await chat.send(text="1315ab 12")
        assert option_ids(turn) == TO_ELIGIBLE[6][1]

    async def test_get_resumes_the_current_question_without_advancing(
        self, client: httpx.AsyncClient, sqlite_engine: AsyncEngine
    ) -> None:
        chat = await open_chat(client)
        asked = await chat.walk(TO_ELIGIBLE[:2])
        first = await chat.resume()
        second = await chat.resume()
        assert first == second
        assert first["messages"] == asked["messages"]
        assert first["ended"] is False
        assert first["locale"] == "nl"
        stored = await stored_conversation(sqlite_engine, chat.session_id)
        assert stored is not None
        assert stored["node"] == "safety_gas"
        # The question resumed is still the one that takes the answer.
        turn = await chat.send(option="gas:no")
        assert option_ids(turn) == TO_ELIGIBLE[2][1]

    @pytest.mark.parametrize("stale", ["budget:yes", "privacy:agree", "no:such-option"])
    async def test_an_unknown_option_gets_the_stale_message_and_the_current_question(
        self, client: httpx.AsyncClient, stale: str
    ) -> None:
        chat = await open_chat(client)
        await chat.walk(TO_ELIGIBLE[:2])
        current = await chat.resume()
        turn = await chat.send(option=stale)
        assert STALE in turn["messages"][0]["text"]
        assert turn["messages"][0]["options"] == []
        assert turn["messages"][-1] == current["messages"][-1]
        assert await chat.resume() == current

    async def test_delete_erases_the_session_and_its_conversation(
        self, client: httpx.AsyncClient, sqlite_engine: AsyncEngine
    ) -> None:
        chat = await open_chat(client)
        other = await open_chat(client)
        await chat.walk(TO_ELIGIBLE[:3])
        assert await stored_conversation(sqlite_engine, chat.session_id) is not None

        response = await client.delete(chat.path, headers=chat.auth)
        assert response.status_code == 204
        assert response.content == b""

        assert_error(await client.get(chat.path, headers=chat.auth), 404, "unknown_session")
        assert_error(await chat.post(option="gas:no"), 404, "unknown_session")
        assert_error(await client.delete(chat.path, headers=chat.auth), 404, "unknown_session")
        assert await stored_conversation(sqlite_engine, chat.session_id) is None
        remaining = await stored_sessions(sqlite_engine)
        assert [row["id"] for row in remaining] == [other.session_id]
        # The other resident's conversation is untouched.
        assert await stored_conversation(sqlite_engine, other.session_id) is not None
        assert (await other.resume())["messages"][-1]["options"][0]["id"] == "lang:nl"


# -- tokens and sessions --------------------------------------------------------------------


class TestAuthorization:
    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"Authorization": "Bearer not-the-token"},
            {"Authorization": "Bearer "},
            {"Authorization": "Basic dXNlcjpwYXNz"},
        ],
        ids=["missing", "wrong", "empty", "basic"],
    )
    async def test_a_bad_token_is_refused_with_401(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        chat = await open_chat(client)
        path = chat.path
        assert_error(await client.get(path, headers=headers), 401, "bad_token")
        assert_error(
            await client.post(f"{path}/messages", json={"option": "lang:nl"}, headers=headers),
            401,
            "bad_token",
        )
        assert_error(await client.delete(path, headers=headers), 401, "bad_token")
        # Nothing happened to the session.
        resumed = await chat.resume()
        assert option_ids(resumed) == LANGUAGE_IDS

    async def test_the_token_of_another_session_is_refused(self, client: httpx.AsyncClient) -> None:
        mine, theirs = await open_chat(client), await open_chat(client)
        stolen = {"Authorization": f"Bearer {theirs.token}"}
        assert_error(await client.get(mine.path, headers=stolen), 401, "bad_token")
        assert_error(
            await client.post(f"{mine.path}/messages", json={"text": "x"}, headers=stolen),
            401,
            "bad_token",
        )
        assert_error(await client.delete(mine.path, headers=stolen), 401, "bad_token")
        await mine.resume()

    async def test_the_scheme_is_case_insensitive(self, client: httpx.AsyncClient) -> None:
        chat = await open_chat(client)
        response = await client.get(chat.path, headers={"Authorization": f"bearer {chat.token}"})
        assert response.status_code == 200

    @pytest.mark.parametrize("with_token", [True, False])
    async def test_an_unknown_session_is_404(
        self, client: httpx.AsyncClient, with_token: bool
    ) -> None:
        chat = await open_chat(client)
        headers = chat.auth if with_token else {}
        path = f"{SESSIONS}/{'0' * 32}"
        assert_error(await client.get(path, headers=headers), 404, "unknown_session")
        assert_error(
            await client.post(f"{path}/messages", json={"text": "x"}, headers=headers),
            404,
            "unknown_session",
        )
        assert_error(await client.delete(path, headers=headers), 404, "unknown_session")


# -- bodies ---------------------------------------------------------------------------------


def _padded(size: int) -> bytes:
    """A valid message body of exactly ``size`` bytes."""
    body = b'{"option": "lang:nl"}'
    return body + b" " * (size - len(body))


class TestBodies:
    async def test_a_body_over_4_kib_is_refused_with_413(self, client: httpx.AsyncClient) -> None:
        chat = await open_chat(client)
        response = await chat.post(text="x" * 5000)
        assert "content-length" in response.request.headers
        assert_error(response, 413, "body_too_large")
        assert_error(await chat.post_raw(_padded(4097)), 413, "body_too_large")
        created = await client.post(SESSIONS, json={"locale": "nl" + " " * 5000})
        assert_error(created, 413, "body_too_large")

    async def test_a_body_of_exactly_4_kib_is_accepted(self, client: httpx.AsyncClient) -> None:
        chat = await open_chat(client)
        response = await chat.post_raw(_padded(4096))
        assert response.status_code == 200, response.text
        assert option_ids(response.json()) == TO_ELIGIBLE[0][1]

    async def test_a_chunked_body_over_4_kib_is_refused_with_413(
        self, client: httpx.AsyncClient
    ) -> None:
        chat = await open_chat(client)

        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"text": "'
            for _ in range(10):
                yield b"x" * 1000
            yield b'"}'

        response = await chat.post_raw(chunks())
        assert "content-length" not in response.request.headers
        assert response.request.headers["transfer-encoding"] == "chunked"
        assert_error(response, 413, "body_too_large")
        await chat.resume()  # the session is unharmed

    async def test_a_small_chunked_body_is_read_whole(self, client: httpx.AsyncClient) -> None:
        chat = await open_chat(client)

        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"opt'
            yield b'ion": "lang'
            yield b':nl"}'

        response = await chat.post_raw(chunks())
        assert "content-length" not in response.request.headers
        assert response.status_code == 200, response.text
        assert option_ids(response.json()) == TO_ELIGIBLE[0][1]

    @pytest.mark.parametrize(
        "content",
        [
            b"{",
            b"not json",
            b"null",
            b"[]",
            b'"text"',
            b"{}",
            b'{"text": "ja", "option": "gas:no"}',
            b'{"text": null, "option": null}',
            b'{"text": "ja", "extra": 1}',
            b'{"locale": "nl"}',
            b'{"text": 5}',
            b'{"option": ["gas:no"]}',
            json.dumps({"text": "x" * 2001}).encode(),
            json.dumps({"option": "x" * 65}).encode(),
        ],
        ids=[
            "truncated",
            "not-json",
            "null",
            "array",
            "string",
            "neither",
            "both",
            "both-null",
            "unknown-field",
            "wrong-field",
            "number",
            "list",
            "text-too-long",
            "option-too-long",
        ],
    )
    async def test_an_invalid_message_body_is_422(
        self, client: httpx.AsyncClient, content: bytes
    ) -> None:
        chat = await open_chat(client)
        assert_error(await chat.post_raw(content), 422, "invalid_body")
        assert option_ids(await chat.resume()) == LANGUAGE_IDS  # nothing advanced

    async def test_text_of_2000_characters_is_accepted(self, client: httpx.AsyncClient) -> None:
        chat = await open_chat(client)
        turn = await chat.send(text="x" * 2000)
        assert option_ids(turn) == LANGUAGE_IDS  # not understood: asked again

    @pytest.mark.parametrize(
        "content", [b"{", b'{"locale": "nl", "x": 1}', b'{"locale": 5}', b"[]"]
    )
    async def test_an_invalid_create_body_is_422(
        self, client: httpx.AsyncClient, content: bytes
    ) -> None:
        response = await client.post(
            SESSIONS, content=content, headers={"Content-Type": "application/json"}
        )
        assert_error(response, 422, "invalid_body")

    async def test_lone_surrogates_in_text_get_a_normal_answer(
        self, client: httpx.AsyncClient
    ) -> None:
        chat = await open_chat(client)
        response = await chat.post_raw(b'{"text": "\\ud800"}')
        assert response.status_code == 200, response.text
        turn = assert_turn(response.json())
        assert option_ids(turn) == LANGUAGE_IDS
        # At the postcode question it is an invalid postcode, asked again.
        await chat.walk(TO_ELIGIBLE[:6])
        response = await chat.post_raw(b'{"text": "\\udfff 1315 AB"}')
        assert response.status_code == 200, response.text
        (message,) = response.json()["messages"]
        assert message["input"] == "postcode"
        assert "1315 AB" in message["text"]

    async def test_nul_characters_in_text_get_a_normal_answer(
        self, client: httpx.AsyncClient
    ) -> None:
        chat = await open_chat(client)
        response = await chat.post_raw(b'{"text": "\\u0000\\u0000"}')
        assert response.status_code == 200, response.text
        assert option_ids(assert_turn(response.json())) == LANGUAGE_IDS
        await chat.walk(TO_ELIGIBLE[:6])
        response = await chat.post_raw(b'{"text": "1315\\u0000AB 12"}')
        assert response.status_code == 200, response.text
        assert option_ids(response.json()) == TO_ELIGIBLE[6][1]

    @pytest.mark.parametrize(
        "content",
        [b'{"text": "a\xc3("}', b'{"text": "\xff"}', b"\xff\xfe\xfd", b'{"text": "\xc0\xaf"}'],
    )
    async def test_invalid_utf8_is_an_invalid_body_not_a_crash(
        self, client: httpx.AsyncClient, content: bytes
    ) -> None:
        chat = await open_chat(client)
        assert_error(await chat.post_raw(content), 422, "invalid_body")
        await chat.resume()


# -- rate limits ----------------------------------------------------------------------------


def assert_rate_limited(response: httpx.Response, most: int) -> None:
    assert_error(response, 429, "rate_limited")
    wait = response.headers["Retry-After"]
    assert wait.isdigit()
    assert 1 <= int(wait) <= most


class TestRateLimits:
    async def test_a_session_that_sends_too_fast_gets_429(self, sqlite_url: str) -> None:
        settings = Settings(database_url=sqlite_url, widget={"rate_per_minute": 2})
        async with running(settings) as app, connect(app) as http:
            chat = await open_chat(http)
            # 2 per minute with a burst of 5: the sixth request in a row is refused.
            for _ in range(5):
                response = await chat.post(text="xyz")
                assert response.status_code == 200, response.text
            assert_rate_limited(await chat.post(text="xyz"), most=30)
            assert_rate_limited(await http.get(chat.path, headers=chat.auth), most=30)
            # Another session from the same address is not affected.
            other = await open_chat(http)
            assert (await other.post(option="lang:nl")).status_code == 200
            # A refused token does not count against the session.
            wrong = {"Authorization": "Bearer nope"}
            assert_error(await http.get(other.path, headers=wrong), 401, "bad_token")

    async def test_an_address_that_sends_too_fast_gets_429(self, sqlite_url: str) -> None:
        settings = Settings(database_url=sqlite_url, widget={"rate_per_ip_minute": 1})
        async with (
            running(settings) as app,
            connect(app, "192.0.2.1") as first,
            connect(app, "192.0.2.2") as second,
        ):
            # 1 per minute with a burst of 10.
            chat = await open_chat(first)
            for _ in range(9):
                assert (await first.get(chat.path, headers=chat.auth)).status_code == 200
            assert_rate_limited(await first.post(SESSIONS, json={}), most=60)
            assert_rate_limited(await first.get(chat.path, headers=chat.auth), most=60)
            assert_rate_limited(await chat.post(option="lang:nl"), most=60)
            # The same session from another address, and new sessions there, still work.
            response = await second.get(chat.path, headers=chat.auth)
            assert response.status_code == 200
            assert (await second.post(SESSIONS, json={})).status_code == 201


# -- OpenAPI --------------------------------------------------------------------------------


async def test_openapi_documents_the_routes_and_their_errors(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    paths = spec["paths"]
    expected = {
        (SESSIONS, "post"): {"201", "413", "422", "429"},
        (f"{SESSIONS}/{{session_id}}/messages", "post"): {"200", "401", "404", "413", "422", "429"},
        (f"{SESSIONS}/{{session_id}}", "get"): {"200", "401", "404", "429"},
        (f"{SESSIONS}/{{session_id}}", "delete"): {"204", "401", "404", "429"},
        (f"{SESSIONS}/{{session_id}}/calendar.ics", "get"): {"200", "401", "404", "429"},
    }
    documented = {
        (path, method)
        for path, operations in paths.items()
        if path.startswith("/api/chat")
        for method in operations
    }
    assert documented == set(expected)
    error_schema = spec["components"]["schemas"]["ErrorBody"]
    assert set(error_schema["required"]) == {"error", "message"}
    for (path, method), statuses in expected.items():
        responses = paths[path][method]["responses"]
        assert statuses <= set(responses), (path, method, sorted(responses))
        for status in statuses - {"200", "201", "204"}:
            content = responses[status]["content"]["application/json"]
            assert content["schema"]["$ref"].endswith("/ErrorBody"), (path, method, status)
    message = spec["components"]["schemas"]["MessageOut"]
    assert set(message["properties"]) == {"text", "options", "input"}


# -- PostgreSQL -----------------------------------------------------------------------------


@pytest.fixture
async def pg_client(
    postgres_db: AsyncEngine, postgres_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on a migrated, emptied PostgreSQL database (only SQLite migrates at start)."""
    settings = Settings(database_url=postgres_url, widget=GENEROUS)
    async with running(settings) as app, connect(app) as http:
        yield http


@pytest.mark.postgres
async def test_the_basic_flow_on_postgresql(
    pg_client: httpx.AsyncClient, postgres_db: AsyncEngine
) -> None:
    chat = await open_chat(pg_client, **{"Accept-Language": "en-GB"})
    assert chat.created["locale"] == "en"
    turn = await chat.walk(TO_ELIGIBLE[:3])
    assert turn["locale"] == "nl"
    assert await chat.resume() == await chat.resume()
    assert (await chat.resume())["messages"] == turn["messages"]
    stored = await stored_conversation(postgres_db, chat.session_id)
    assert stored is not None
    assert stored["node"] == "safety_medical"
    (session_row,) = await stored_sessions(postgres_db)
    assert session_row["token_hash"] == hashlib.sha256(chat.token.encode()).hexdigest()
    assert_error(
        await pg_client.get(chat.path, headers={"Authorization": "Bearer x"}), 401, "bad_token"
    )

    response = await pg_client.delete(chat.path, headers=chat.auth)
    assert response.status_code == 204
    assert_error(await pg_client.get(chat.path, headers=chat.auth), 404, "unknown_session")
    assert_error(await chat.post(option="gas:no"), 404, "unknown_session")
    assert await stored_conversation(postgres_db, chat.session_id) is None
    assert await stored_sessions(postgres_db) == []


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de,en;q=0.8", "en"),
        ("de-DE, tr-TR;q=0.9, en;q=0.5", "tr"),
        ("en;q=0.2, uk;q=0.9", "uk"),
        ("*", None),
        ("fr", None),
        ("ar;q=0, pl", "pl"),
        ("en;q=abc, pl;q=0.1", "pl"),
        ("", None),
    ],
)
def test_accept_language_picks_the_most_preferred_offered_language(
    header: str, expected: str | None
) -> None:
    assert from_accept_language(header, LANGUAGE_NAMES) == expected

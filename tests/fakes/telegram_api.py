"""A fake Telegram Bot API on 127.0.0.1: records every call, answers like Telegram, or fails
as a test scripts it.

aiogram posts every method as a form to ``/bot{token}/{method}``; the fake parses the form
(``reply_markup`` JSON-decoded), records it as a ``Call`` with its arrival time, and answers
from the method's script (``RetryAfter``, ``Fail``, ``Hang``) or, once that is used up, with
a proper result. A method it does not know, or a wrong token, is recorded in ``unknown`` and
answered with an error that says so: a fixture should assert ``api.unknown == []``.

    api = FakeBotApi()
    api.script("sendMessage", RetryAfter(1))
    async with api.serve() as base:  # WEERAAN_TELEGRAM__API_BASE
        ...
    assert [call.method for call in api.calls] == ["sendMessage", "sendMessage"]
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import web

TOKEN = "123456:ABC-fake_token_for_tests"
BOT_ID = 123456
BOT_USERNAME = "weeraan_test_bot"


@dataclass(frozen=True)
class RetryAfter:
    """Answer 429 Too Many Requests with ``parameters.retry_after``."""

    seconds: int


@dataclass(frozen=True)
class Fail:
    """Answer an error status (5xx by default: Telegram or a proxy in trouble)."""

    status: int = 502
    description: str = "Bad Gateway"


@dataclass(frozen=True)
class Hang:
    """Answer only after ``seconds`` (longer than the client's timeout: a hung request)."""

    seconds: float = 5.0


Outcome = RetryAfter | Fail | Hang


@dataclass
class Call:
    """One request as the fake received it."""

    method: str
    fields: dict[str, Any]
    at: float  # time.monotonic() on arrival
    answer: str = "ok"  # "ok", "429", "502", "hang", "unknown"…

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]


def _error(status: int, description: str, **extra: Any) -> web.Response:
    body = {"ok": False, "error_code": status, "description": description, **extra}
    return web.json_response(body, status=status)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


@dataclass
class FakeBotApi:
    token: str = TOKEN
    long_poll: float = 0.5
    """The longest a ``getUpdates`` waits for an update (Telegram waits ``timeout``)."""

    calls: list[Call] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    _scripts: dict[str, deque[Outcome]] = field(default_factory=lambda: defaultdict(deque))
    _updates: deque[dict[str, Any]] = field(default_factory=deque)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _message_id: int = 0
    _update_id: int = 0

    ANSWERS: ClassVar[dict[str, str]] = {
        "getme": "_get_me",
        "sendmessage": "_send_message",
        "editmessagetext": "_edit",
        "editmessagereplymarkup": "_edit",
        "answercallbackquery": "_true",
        "setwebhook": "_true",
        "deletewebhook": "_true",
        "getupdates": "_get_updates",
    }

    # --- what the test sets up -------------------------------------------------------------

    def script(self, method: str, *outcomes: Outcome) -> None:
        """The next calls of ``method`` get these answers, in order; then normal ones."""
        self._scripts[method.lower()].extend(outcomes)

    def feed(self, *updates: dict[str, Any]) -> None:
        """Updates for the next ``getUpdates`` (an ``update_id`` is added where missing)."""
        for update in updates:
            self._update_id = int(update.get("update_id", self._update_id + 1))
            self._updates.append({**update, "update_id": self._update_id})
        self._arrived.set()

    # --- what the test reads ---------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The fields of every ``sendMessage`` call (failed attempts included)."""
        return [call.fields for call in self.calls_to("sendMessage")]

    async def wait_for(self, method: str, count: int = 1, *, within: float = 10.0) -> list[Call]:
        """Wait until ``method`` was called at least ``count`` times; its calls."""
        async with asyncio.timeout(within):
            while len(self.calls_to(method)) < count:  # noqa: ASYNC110 - polled, test only
                await asyncio.sleep(0.01)
        return self.calls_to(method)

    # --- the server --------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        return app

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        """Listen on 127.0.0.1 (a free port); yields the base URL for ``api_base``."""
        runner = web.AppRunner(
            self.app(), access_log=None, shutdown_timeout=0.5, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        try:
            yield f"http://{host}:{port}"
        finally:
            await runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = Call(method, await _fields(request), time.monotonic())
        self.calls.append(call)
        if request.match_info["token"] != self.token:
            call.answer = "unknown"
            self.unknown.append(f"{method} (wrong token)")
            return _error(401, "Unauthorized")
        answer = self.ANSWERS.get(method.lower())
        if answer is None:
            call.answer = "unknown"
            self.unknown.append(method)
            return _error(500, f"FakeBotApi does not know the method {method!r}")
        script = self._scripts[method.lower()]
        outcome = script.popleft() if script else None
        if isinstance(outcome, RetryAfter):
            call.answer = "429"
            return _error(
                429,
                f"Too Many Requests: retry after {outcome.seconds}",
                parameters={"retry_after": outcome.seconds},
            )
        if isinstance(outcome, Fail):
            call.answer = str(outcome.status)
            return _error(outcome.status, outcome.description)
        if isinstance(outcome, Hang):
            call.answer = "hang"
            await asyncio.sleep(outcome.seconds)  # cancelled when the client gives up
        respond: Callable[[Call], Awaitable[web.Response]] = getattr(self, answer)
        return await respond(call)

    # --- the answers -------------------------------------------------------------------------

    def _me(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "WeerAan",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _message(self, call: Call, message_id: int | None = None) -> dict[str, Any]:
        if message_id is None:
            self._message_id += 1
            message_id = self._message_id
        given = str(call.fields["chat_id"])
        chat: dict[str, Any] = {"id": -1009999999999, "type": "channel", "username": given[1:]}
        if given.lstrip("-").isdigit():
            chat = {"id": int(given), "type": "private", "first_name": "Resident"}
        if given.startswith("-"):
            chat = {"id": int(given), "type": "supergroup", "title": "Caseworkers"}
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": self._me(),
        }
        if "text" in call.fields:
            message["text"] = call.fields["text"]
        markup = call.fields.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # Telegram echoes inline keyboards only
        return message

    async def _get_me(self, call: Call) -> web.Response:
        return _ok(self._me())

    async def _send_message(self, call: Call) -> web.Response:
        return _ok(self._message(call))

    async def _edit(self, call: Call) -> web.Response:
        if "inline_message_id" in call.fields:
            return _ok(True)
        return _ok(self._message(call, int(call.fields["message_id"])))

    async def _true(self, call: Call) -> web.Response:
        return _ok(True)

    async def _get_updates(self, call: Call) -> web.Response:
        """Updates from ``offset`` on; those before it are confirmed and forgotten."""
        offset = int(call.fields.get("offset", 0))
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()
        wait = min(float(call.fields.get("timeout", 0)), self.long_poll)
        if not self._updates and wait > 0:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._arrived.wait()
        return _ok(list(self._updates))


async def _fields(request: web.Request) -> dict[str, Any]:
    """The form (or JSON body) as a dict; ``reply_markup`` decoded from its JSON."""
    if request.content_type == "application/json":
        fields: dict[str, Any] = dict(await request.json())
    else:
        fields = {key: str(value) for key, value in (await request.post()).items()}
    markup = fields.get("reply_markup")
    if isinstance(markup, str):
        fields["reply_markup"] = json.loads(markup)
    return fields

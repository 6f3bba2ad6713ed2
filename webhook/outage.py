"""The database away (restarting, unreachable, cutting connections): a clean 503, not a 500.

``is_outage`` tells a failure of the connection from a failure of our own code; the
``OutageGuard`` middleware answers the first with 503, a JSON body and ``Retry-After``, and
logs one line without a traceback. Nothing of the request was kept (the turn's transaction
rolled back), so the client (Telegram, the widget) sends it again and it is handled then.
The pool (``pool_pre_ping``) replaces dead connections by itself once the database is back.
"""

from __future__ import annotations

import json
import logging

import asyncpg
from aiogram.exceptions import TelegramAPIError
from sqlalchemy import exc as sa
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
RETRY_AFTER = "2"
OUTAGES: tuple[type[BaseException], ...] = (
    OSError,  # asyncpg's connect raises ConnectionRefusedError as it is
    sa.DisconnectionError,
    sa.OperationalError,
    sa.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)
"""Failures of the connection or the server, never of a statement: a constraint violation or
a bad query stays a 500 with its traceback."""
BODY = json.dumps(
    {"error": "unavailable", "message": "The service is briefly unavailable. Try again."}
).encode()


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) is the database or its connection failing."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TelegramAPIError):  # Telegram away is not the database
            return False
        if isinstance(current, sa.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, OUTAGES):
            return True
        current = current.__cause__ or current.__context__
    return False


class OutageGuard:
    """ASGI middleware: a database outage during a request becomes a clean 503."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started or not is_outage(exc):
                raise
            log.warning("database unavailable (%s): answered 503", type(exc).__name__)
            await _unavailable(send)


async def _unavailable(send: Send) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode()),
        (b"retry-after", RETRY_AFTER.encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})

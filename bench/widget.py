"""(c) The widget API with 1,000 residents chatting at once.

Every session is created first; then each session sends its next message every
``THINK_SECONDS`` (a resident reading and tapping), all sessions interleaved on one fixed
schedule (open loop, latency from the scheduled time).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bench.client import Connection, request
from bench.context import Context
from bench.load import open_loop
from bench.servers import free_port, serving, weeraan_serve

THINK_SECONDS = 4.0
WALK: tuple[dict[str, str], ...] = (
    {"option": "lang:nl"},
    {"option": "privacy:agree"},
    {"option": "gas:no"},
    {"option": "medical:no"},
    {"option": "situation:letter"},
    {"option": "energy:gas"},
    {"text": "1315 AB 12"},
    {"option": "supplier:vattenfall"},
    {"option": "debt:yes"},
    {"option": "prevention:book"},
    {"option": "mode:office"},
)
CREATE = request("POST", "/api/chat/sessions", {"locale": "nl"})


async def create_sessions(port: int, count: int, lanes: int = 16) -> list[tuple[str, str]]:
    sessions: list[tuple[str, str]] = []

    async def lane(share: int) -> None:
        connection = await Connection.open(port)
        try:
            for _ in range(share):
                status, body = await connection.send(CREATE)
                if status != 201:
                    raise RuntimeError(f"creating a session answered {status}")
                answer = json.loads(body)
                sessions.append((answer["session_id"], answer["token"]))
        finally:
            connection.close()

    shares = [count // lanes + (1 if i < count % lanes else 0) for i in range(lanes)]
    await asyncio.gather(*(lane(share) for share in shares))
    return sessions


class Chats:
    def __init__(self, sessions: list[tuple[str, str]]) -> None:
        self.sessions = sessions

    def next(self, _lane: int, n: int) -> bytes:
        round_, index = divmod(n, len(self.sessions))
        session, token = self.sessions[index]
        body = WALK[round_ % len(WALK)]
        headers = {"authorization": f"Bearer {token}"}
        return request("POST", f"/api/chat/sessions/{session}/messages", body, headers)


async def run(ctx: Context) -> dict[str, Any]:
    port = free_port()
    env = ctx.env(ctx.sqlite_url("widget"))
    count = ctx.size.widget_sessions
    async with serving(weeraan_serve(port), port, env, log=ctx.log("widget")) as server:
        sessions = await create_sessions(port, count)
        rate = count / THINK_SECONDS
        cpu = server.cpu_seconds()
        result = await open_loop(port, rate, ctx.size.widget_seconds, Chats(sessions).next)
        result.server_cpu = server.cpu_seconds() - cpu
    return {
        "sessions": count,
        "think_seconds": THINK_SECONDS,
        "rate": rate,
        **result.summary(),
    }

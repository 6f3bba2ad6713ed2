"""A lean fake Telegram Bot API for load: answers like Telegram, counts calls, keeps nothing.

``python -m bench.fake_api PORT TOKEN`` listens on 127.0.0.1; ``GET /stats`` gives the calls
per method. (The tests' fake records every call for assertions; under load that would grow.)
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import Any

from aiohttp import web

BOT = {"id": 123456, "is_bot": True, "first_name": "WeerAan", "username": "weeraan_bench_bot"}


def make_app(token: str) -> web.Application:
    counts: Counter[str] = Counter()
    message_ids = iter(range(1, 1 << 62))

    async def handle(request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        counts[method] += 1
        if request.match_info["token"] != token:
            return _answer({"ok": False, "error_code": 401, "description": "Unauthorized"})
        fields = await request.post()
        if method == "getme":
            return _answer({"ok": True, "result": BOT})
        if method.startswith("send"):
            chat = {"id": int(str(fields.get("chat_id", "0"))), "type": "private"}
            message = {"message_id": next(message_ids), "date": int(time.time()), "chat": chat}
            return _answer({"ok": True, "result": {**message, "from": BOT}})
        return _answer({"ok": True, "result": True})

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(dict(counts))

    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", handle)
    app.router.add_get("/stats", stats)
    return app


def _answer(body: dict[str, Any]) -> web.Response:
    return web.json_response(body)


if __name__ == "__main__":
    web.run_app(
        make_app(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None
    )

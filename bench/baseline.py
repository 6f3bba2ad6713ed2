"""B₀: the webhook route with nothing behind it, under the same uvicorn settings as
``weeraan serve``.

It checks the secret, parses the update and dispatches it to an aiogram router whose
handlers do nothing: what any aiogram webhook costs before the conversation begins.
``python -m bench.baseline PORT`` with ``WEERAAN_TELEGRAM__TOKEN`` and ``__WEBHOOK_SECRET``.
"""

from __future__ import annotations

import gc
import hmac
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from aiogram import Bot, Dispatcher, Router
from aiogram.types import CallbackQuery, Message, Update
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name


async def _nothing(_: Message | CallbackQuery) -> None:
    return None


def create_app(token: str, secret: str) -> FastAPI:
    router = Router()
    router.message.register(_nothing)
    router.callback_query.register(_nothing)
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    bot = Bot(token)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        gc.collect()
        gc.freeze()
        yield
        await bot.session.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/telegram/webhook")
    async def webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return JSONResponse({"error": "bad_secret"}, status_code=401)
        update = Update.model_validate(await request.json(), context={"bot": bot})
        await dispatcher.feed_update(bot, update)
        return JSONResponse({})

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


if __name__ == "__main__":
    token = os.environ["WEERAAN_TELEGRAM__TOKEN"]
    app = create_app(token, os.environ["WEERAAN_TELEGRAM__WEBHOOK_SECRET"])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=False, log_config=None)

"""The bot and its dispatcher, built once from the settings and the conversation service."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    GetUpdates,
    SendMessage,
    SetWebhook,
    TelegramMethod,
)
from aiogram.methods.base import Response

from bot.handlers import make_router as residents_router
from bot.staff import Claims
from bot.staff import make_router as staff_router
from dialogs.service import ConversationService
from webhook.outbox.telegram_target import make_bot
from webhook.ratelimit import RateLimiter
from webhook.settings import Settings

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"
USED_METHODS: tuple[type[TelegramMethod[Any]], ...] = (
    AnswerCallbackQuery,
    SendMessage,
    EditMessageText,
    EditMessageReplyMarkup,
    GetMe,
    GetUpdates,
    SetWebhook,
    DeleteWebhook,
)


def response_models() -> tuple[type[Any], ...]:
    """The ``Response[T]`` models aiogram checks our methods' answers with, held for good.

    pydantic keeps parametrised generic models only weakly; every garbage collection drops
    them and the next answer builds its model again (measured: ~4% of a webhook step).
    """
    # a runtime subscription: mypy reads Response[...] as a type expression
    return tuple(Response[method.__returning__] for method in USED_METHODS)  # type: ignore[name-defined]


@dataclass(frozen=True)
class TelegramRuntime:
    bot: Bot
    dispatcher: Dispatcher
    user_limit: RateLimiter = field(default_factory=lambda: RateLimiter(30))
    """Incoming updates per resident (the webhook answers 429 above it)."""
    response_models: tuple[type[Any], ...] = field(default_factory=response_models)


def build_dispatcher(
    service: ConversationService,
    *,
    claims: Claims | None = None,
    staff_chat_id: int | None = None,
) -> Dispatcher:
    """The routers of ``bot/``, with the service (and the staff chat's claims) handed to
    every handler that names them. The staff router comes first: the residents' one takes
    every button press."""
    # No FSM: the conversation lives in the database. aiogram's in-memory FSM storage would
    # keep a record for every user who ever wrote (it grew ~0.4 KiB per resident).
    dispatcher = Dispatcher(disable_fsm=True)
    dispatcher["service"] = service
    dispatcher["claims"] = claims
    dispatcher["staff_chat_id"] = staff_chat_id
    dispatcher.include_router(staff_router())
    dispatcher.include_router(residents_router())
    return dispatcher


@asynccontextmanager
async def telegram_runtime(
    settings: Settings, service: ConversationService, *, claims: Claims | None = None
) -> AsyncIterator[TelegramRuntime | None]:
    """The bot (the one sender of the process) while the block runs; ``None`` without a
    token (Telegram is then simply off). Its HTTP session is closed afterwards."""
    if settings.telegram.token is None:
        yield None
        return
    dispatcher = build_dispatcher(
        service, claims=claims, staff_chat_id=settings.telegram.staff_chat_id
    )
    per_user = settings.telegram.rate_per_user_minute
    limit = RateLimiter(per_user, burst=max(5, per_user // 2))
    runtime = TelegramRuntime(make_bot(settings.telegram), dispatcher, limit)
    try:
        yield runtime
    finally:
        await runtime.bot.session.close()


async def register_webhook(runtime: TelegramRuntime, settings: Settings) -> bool:
    """With ``WEERAAN_PUBLIC_URL`` set, tell Telegram where to deliver updates."""
    telegram = settings.telegram
    if not settings.public_url:
        return False
    if telegram.webhook_secret is None:
        raise ValueError("WEERAAN_TELEGRAM__WEBHOOK_SECRET is needed for the Telegram webhook")
    url = settings.public_url.rstrip("/") + WEBHOOK_PATH
    await runtime.bot.set_webhook(
        url=url,
        secret_token=telegram.webhook_secret.get_secret_value(),
        allowed_updates=telegram.allowed_updates,
        max_connections=telegram.max_connections,
        drop_pending_updates=False,
    )
    log.info("telegram webhook registered")
    return True

"""``POST /telegram/webhook``: checked, deduplicated, processed before the answer.

Wrong or missing secret: 401 and nothing is read. A processing failure answers 500 so that
Telegram redelivers (the database away: a 503 from ``webhook.outage``, not marked failed);
an update that failed ``POISON_AFTER`` times is acknowledged (and logged by id) so the
resident's chat is not stuck behind it. The last reply of a turn is
returned in the response body as a Bot API method (no extra request).
"""

from __future__ import annotations

import hmac
import logging
import math
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from webhook.deps import get_components
from webhook.errors import ApiError, responses
from webhook.outage import is_outage
from webhook.telegram.runtime import WEBHOOK_PATH, TelegramRuntime
from webhook.telegram.updates import Verdict

log = logging.getLogger(__name__)
router = APIRouter(tags=["telegram"])
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name


def method_json(bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any] | None:
    """A Bot API method as a webhook answer; ``None`` if it carries files (not possible)."""
    files: dict[str, Any] = {}
    data: dict[str, Any] = {"method": method.__api_method__}
    for name, value in method.model_dump(warnings=False).items():
        prepared = bot.session.prepare_value(value, bot=bot, files=files, _dumps_json=False)
        if prepared is not None:
            data[name] = prepared
    return None if files else data


def _too_fast(runtime: TelegramRuntime, update: Update) -> str | None:
    """Seconds to wait, as text, when this resident sends faster than the per-user limit."""
    source = update.message or update.callback_query
    user = source.from_user if source else None
    if user is None:
        return None
    wait = runtime.user_limit.hit(str(user.id))
    return str(max(1, math.ceil(wait))) if wait > 0 else None


def _check_secret(request: Request, expected: str | None) -> None:
    given = request.headers.get(SECRET_HEADER)
    if expected is None or given is None:
        raise ApiError(401, "bad_secret", "Missing or wrong secret token.")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "bad_secret", "Missing or wrong secret token.")


@router.post(WEBHOOK_PATH, responses=responses(401, 422, 429))
async def telegram_webhook(request: Request) -> Response:
    """Updates from Telegram (only with ``X-Telegram-Bot-Api-Secret-Token``)."""
    components = get_components(request)
    runtime = components.telegram
    secret = components.settings.telegram.webhook_secret
    if runtime is None:
        raise ApiError(404, "not_found", "Telegram is not configured here.")
    _check_secret(request, secret.get_secret_value() if secret else None)
    try:
        update = Update.model_validate(await request.json(), context={"bot": runtime.bot})
    except (ValueError, ValidationError) as exc:
        raise ApiError(422, "invalid_update", "This is not a Telegram update.") from exc
    wait = _too_fast(runtime, update)
    if wait:  # before counting an attempt: Telegram delivers it again after the wait
        return JSONResponse(
            {"error": "rate_limited"}, status_code=429, headers={"Retry-After": wait}
        )
    updates = components.telegram_updates
    verdict = await updates.begin(update.update_id, now=datetime.now(UTC))
    if verdict is Verdict.DONE:
        return JSONResponse({})
    if verdict is Verdict.BUSY:
        return JSONResponse({"error": "in_progress"}, status_code=503, headers={"Retry-After": "5"})
    if verdict is Verdict.POISON:
        log.error("telegram update %s failed too often: acknowledged unprocessed", update.update_id)
        return JSONResponse({})
    try:
        result = await runtime.dispatcher.feed_update(runtime.bot, update)
    except Exception as exc:  # answer 5xx: Telegram will redeliver
        if is_outage(exc):  # not the update's fault: a clean 503, not marked failed
            raise
        log.error("telegram update %s failed: %s", update.update_id, type(exc).__name__)
        await updates.finish(update.update_id, now=datetime.now(UTC), failed=True)
        return JSONResponse({"error": "failed"}, status_code=500)
    await updates.finish(update.update_id, now=datetime.now(UTC))
    if isinstance(result, TelegramMethod):
        body = method_json(runtime.bot, result)
        if body is not None:
            return JSONResponse(body)
        await runtime.bot(result)
    return JSONResponse({})

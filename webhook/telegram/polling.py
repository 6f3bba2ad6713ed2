"""``weeraan bot``: the same routers with long polling, for development without a public URL.

Runs the background jobs too (outbox, reminders, slots), so caseworkers hear of bookings.
"""

from __future__ import annotations

import logging

from webhook.compose import open_backend
from webhook.jobs import background_jobs
from webhook.settings import Settings
from webhook.telegram.claims import SqlClaims, staff_claim_keyboard
from webhook.telegram.runtime import telegram_runtime

log = logging.getLogger(__name__)


async def run_polling(settings: Settings) -> int:
    if settings.telegram.token is None:
        log.error("set WEERAAN_TELEGRAM__TOKEN to run the bot")
        return 2
    async with (
        open_backend(settings) as backend,
        telegram_runtime(settings, backend.service, claims=SqlClaims(backend.db)) as telegram,
        background_jobs(
            settings=settings,
            db=backend.db,
            config=backend.config,
            translator=backend.service.translator,
            clock=backend.service.clock,
            bot=telegram.bot if telegram else None,
            staff_keyboard=staff_claim_keyboard,
        ),
    ):
        assert telegram is not None
        await telegram.bot.delete_webhook(drop_pending_updates=False)
        await telegram.dispatcher.start_polling(
            telegram.bot,
            allowed_updates=settings.telegram.allowed_updates,
            handle_signals=True,
            close_bot_session=False,
        )
    return 0

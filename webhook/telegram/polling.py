"""``weeraan bot``: the same routers with long polling, for development without a public URL.

Runs the background jobs too (outbox, reminders, slots), so caseworkers hear of bookings.
"""

from __future__ import annotations

import logging

from webhook.process import running
from webhook.settings import Settings

log = logging.getLogger(__name__)


async def run_polling(settings: Settings) -> int:
    if settings.telegram.token is None:
        log.error("set WEERAAN_TELEGRAM__TOKEN to run the bot")
        return 2
    async with running(settings) as process:
        telegram = process.telegram
        assert telegram is not None
        await telegram.bot.delete_webhook(drop_pending_updates=False)
        await telegram.dispatcher.start_polling(
            telegram.bot,
            allowed_updates=settings.telegram.allowed_updates,
            handle_signals=True,
            close_bot_session=False,
        )
    return 0

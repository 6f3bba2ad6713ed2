"""Which targets are configured, and their deliverers built from ``Settings``.

A target exists only when its settings are complete; the booking code asks
``configured_targets`` which targets to write outbox rows for, and the worker
gets exactly the deliverers built here. Call ``quiet_leaky_loggers`` once at start-up and
``close_deliverers`` at shutdown.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiogram import Bot

from dialogs.ports import Translator
from webhook.outbox.configured import configured_targets
from webhook.outbox.delivery import Deliverer
from webhook.outbox.email_target import EmailTarget, resident_email, staff_email
from webhook.outbox.store import Target
from webhook.outbox.telegram_target import Keyboard, ResidentTelegram, StaffTelegram, make_bot
from webhook.outbox.webhook_target import WebhookTarget
from webhook.settings import Settings

# Loggers that print request URLs (the Bot API URL holds the token; a webhook URL may hold a
# secret too) or SQL parameters (aiosqlite at DEBUG: the outbox payload, personal data): only
# their warnings get through.
LEAKY_LOGGERS = ("httpx", "httpcore", "aiohttp.access", "aiohttp.client", "aiosqlite")


def build_deliverers(
    settings: Settings,
    translator: Translator,
    *,
    staff_keyboard: Keyboard | None = None,
    bot: Bot | None = None,
) -> dict[Target, Deliverer]:
    """One deliverer per configured target (Telegram targets share one ``Bot``: ``bot``, the
    app's single sender, when given)."""
    configured = configured_targets(settings)
    smtp, notify, telegram = settings.smtp, settings.notify, settings.telegram
    deliverers: dict[Target, Deliverer] = {}
    if "staff_email" in configured and notify.email_to:
        deliverers["staff_email"] = EmailTarget(smtp, staff_email(smtp.from_, notify.email_to))
    if "resident_email" in configured:
        deliverers["resident_email"] = EmailTarget(smtp, resident_email(smtp.from_, translator))
    if "staff_webhook" in configured and notify.webhook_url and notify.webhook_secret:
        deliverers["staff_webhook"] = WebhookTarget(
            notify.webhook_url, notify.webhook_secret.get_secret_value()
        )
    if "resident_telegram" in configured:
        bot = bot or make_bot(telegram)
        deliverers["resident_telegram"] = ResidentTelegram(bot, translator)
        if "staff_telegram" in configured and telegram.staff_chat_id is not None:
            deliverers["staff_telegram"] = StaffTelegram(
                bot, telegram.staff_chat_id, keyboard=staff_keyboard
            )
    return deliverers


async def close_deliverers(deliverers: Mapping[Target, Deliverer]) -> None:
    """Close the HTTP clients and sessions the deliverers own."""
    for deliverer in deliverers.values():
        aclose = getattr(deliverer, "aclose", None)
        if aclose is not None:
            await aclose()


def quiet_leaky_loggers() -> None:
    """Keep tokens, secret URLs and personal data out of the logs, whatever the log level."""
    for name in LEAKY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger(name).level))

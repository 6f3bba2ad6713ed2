"""Telegram: the caseworkers' group gets the summary; a resident gets their reminder, or
hears that a caseworker cancelled or moved their booking.

Sends go through aiogram's ``Bot`` against the configured Bot API base. ``make_bot`` puts
the process's one sender (``webhook.telegram.sender``) on its session: Telegram's rate limits,
and short retries of 429s, 5xx answers and timeouts. What still fails becomes a
``DeliveryError`` (a 429 with ``retry_after=…``: the worker waits at least that long).
Failures record the error class and status only: the Bot API URL holds the token, and
aiohttp's exception texts may quote it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Final

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup, LinkPreviewOptions

from dialogs.ports import Translator
from webhook.outbox.delivery import DeliveryError, OutboxMessage
from webhook.outbox.messages import caseworker_summary, resident_text
from webhook.settings import TelegramSettings
from webhook.telegram.sender import RetryPolicy, Sender, SendLimits

TIMEOUT: Final = 20.0
NO_PREVIEW: Final = LinkPreviewOptions(is_disabled=True)
Keyboard = Callable[[OutboxMessage], InlineKeyboardMarkup | None]


def make_bot(
    settings: TelegramSettings,
    *,
    timeout: float = TIMEOUT,
    limits: SendLimits | None = None,
    retry: RetryPolicy | None = None,
) -> Bot:
    """A ``Bot`` talking to ``settings.api_base`` (a local Bot API server, or Telegram's).

    Its requests go through a ``Sender`` with the limits of ``settings`` (or ``limits``).
    Build it once per process: the limits hold only for the sends of one ``Bot``.
    """
    if settings.token is None:
        raise ValueError("no Telegram token configured")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.api_base), timeout=timeout)
    session.middleware(Sender(limits or SendLimits.from_settings(settings), retry))
    return Bot(settings.token.get_secret_value(), session=session)


class StaffTelegram:
    """The caseworker summary (HTML) to the caseworkers' chat; ``keyboard`` may add buttons."""

    def __init__(self, bot: Bot, chat_id: int, *, keyboard: Keyboard | None = None) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._keyboard = keyboard

    async def deliver(self, message: OutboxMessage) -> None:
        summary = caseworker_summary(message.event, message.payload)
        markup = self._keyboard(message) if self._keyboard else None
        async with _as_delivery_errors():
            await self._bot.send_message(
                self._chat_id,
                summary.as_html(),
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=markup,
            )

    async def aclose(self) -> None:
        await self._bot.session.close()


class ResidentTelegram:
    """The resident's text (a reminder, or a caseworker's change) in their language, to their
    own chat."""

    def __init__(self, bot: Bot, translator: Translator) -> None:
        self._bot = bot
        self._translator = translator

    async def deliver(self, message: OutboxMessage) -> None:
        text = resident_text(message.payload, self._translator, channel="telegram")
        async with _as_delivery_errors():
            await self._bot.send_message(
                int(message.payload["chat_id"]),
                text.body,
                parse_mode=None,
                link_preview_options=NO_PREVIEW,
            )

    async def aclose(self) -> None:
        await self._bot.session.close()


@asynccontextmanager
async def _as_delivery_errors() -> AsyncIterator[None]:
    """Turn aiogram's errors into ``DeliveryError`` with a reason that is safe to log."""
    try:
        yield
    except TelegramRetryAfter as error:
        raise DeliveryError("telegram 429", retry_after=float(error.retry_after)) from None
    except TelegramServerError:
        raise DeliveryError("telegram server error") from None
    except TelegramNetworkError:
        raise DeliveryError("telegram unreachable") from None
    except TelegramMigrateToChat:
        raise DeliveryError("telegram chat migrated: update the chat id") from None
    except ClientDecodeError:
        raise DeliveryError("telegram answer unreadable") from None
    except TelegramAPIError as error:
        raise DeliveryError(f"telegram refused ({type(error).__name__})") from None

"""The resident's side of the bot: every update becomes one event for the conversation service.

Handlers receive the service through the dispatcher's workflow data (no globals). The last
message of a turn is returned as a method, so in webhook mode it rides in the webhook
response; earlier ones (a turn longer than 4096 characters) are sent first, in order.
"""

from __future__ import annotations

import contextlib

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.methods import SendMessage
from aiogram.types import CallbackQuery, Message, Update

from bot.render import to_telegram
from dialogs.events import CommandGiven, Event, NonTextReceived, OptionChosen, Started, TextEntered
from dialogs.model import CommandName
from dialogs.ports import ConversationKey
from dialogs.service import ConversationService

CHANNEL = "telegram"
HTML = "HTML"  # every text is escaped by bot.render
COMMANDS: dict[str, CommandName] = {
    "taal": "language",
    "afspraak": "appointment",
    "hulp": "help",
    "help": "help",
    "privacy": "privacy",
    "wis": "erase",
    "stop": "stop",
    "terug": "back",
    "opnieuw": "restart",
    "medewerker": "person",
}
MAX_SOURCE = 64


def key_of(user_id: int) -> ConversationKey:
    return ConversationKey(CHANNEL, str(user_id))


async def _reply(
    update: Update,
    bot: Bot,
    chat_id: int,
    service: ConversationService,
    key: ConversationKey,
    event: Event,
    *,
    locale: str | None = None,
) -> SendMessage | None:
    """Run one turn; send all but the last message now and return the last as a method.

    The update id makes a redelivered update a no-op (recorded with the turn itself); the
    service then gives the current question again, as the first answer may have been lost.
    """
    once = f"telegram:{update.update_id}"
    turn = await service.handle(key, event, locale_hint=locale, once=once)
    outgoing = to_telegram(turn, lambda msgid: service.translator.gettext(turn.locale, msgid))
    if not outgoing:
        return None
    for message in outgoing[:-1]:
        await bot.send_message(chat_id, message.text, parse_mode=HTML, reply_markup=message.markup)
    last = outgoing[-1]
    return SendMessage(chat_id=chat_id, text=last.text, parse_mode=HTML, reply_markup=last.markup)


async def start(
    message: Message,
    command: CommandObject,
    bot: Bot,
    service: ConversationService,
    event_update: Update,
) -> SendMessage | None:
    """``/start``, or a deep link such as ``/start brief`` (the payload is kept as the source)."""
    user = message.from_user
    if user is None:
        return None
    source = (command.args or "").strip()[:MAX_SOURCE] or None
    event = Started(locale=user.language_code, source=source or CHANNEL)
    return await _reply(event_update, bot, message.chat.id, service, key_of(user.id), event)


async def _from_message(
    message: Message, event: Event, bot: Bot, service: ConversationService, update: Update
) -> SendMessage | None:
    """A turn for a message from a resident (nothing for a message without a sender)."""
    user = message.from_user
    if user is None:
        return None
    key, locale = key_of(user.id), user.language_code
    return await _reply(update, bot, message.chat.id, service, key, event, locale=locale)


async def command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    service: ConversationService,
    event_update: Update,
) -> SendMessage | None:
    event = CommandGiven(COMMANDS[command.command.lower()])
    return await _from_message(message, event, bot, service, event_update)


async def contact(
    message: Message, bot: Bot, service: ConversationService, event_update: Update
) -> SendMessage | None:
    """A shared contact answers a phone question with its number."""
    if message.contact is None:
        return None
    event = TextEntered(message.contact.phone_number)
    return await _from_message(message, event, bot, service, event_update)


async def text(
    message: Message, bot: Bot, service: ConversationService, event_update: Update
) -> SendMessage | None:
    event = TextEntered(message.text or "")
    return await _from_message(message, event, bot, service, event_update)


async def anything_else(
    message: Message, bot: Bot, service: ConversationService, event_update: Update
) -> SendMessage | None:
    """Stickers, photos, voice, locations…: the bot reads only text, and asks again."""
    event = NonTextReceived(str(message.content_type))
    return await _from_message(message, event, bot, service, event_update)


async def button(
    query: CallbackQuery, bot: Bot, service: ConversationService, event_update: Update
) -> SendMessage | None:
    """A pressed button: always answered (the spinner stops), then the conversation goes on.

    A press redelivered later may be too old to answer (400 "query is too old"): it still
    counts. Other failures raise, so the webhook answers 5xx and Telegram tries again.
    """
    with contextlib.suppress(TelegramBadRequest):
        await query.answer()
    chat = query.message.chat.id if query.message else query.from_user.id
    event = OptionChosen(query.data or "")
    return await _reply(
        event_update,
        bot,
        chat,
        service,
        key_of(query.from_user.id),
        event,
        locale=query.from_user.language_code,
    )


def make_router() -> Router:
    """A new router with the residents' handlers: a router belongs to one dispatcher, and
    every app (a restart in the same process, a test) builds its own dispatcher."""
    router = Router(name="residents")
    # Residents talk to the bot one to one; in a group (the caseworkers' chat) it stays quiet.
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    router.message.register(start, CommandStart())
    router.message.register(command, Command(*COMMANDS))
    router.message.register(contact, F.contact)
    router.message.register(text, F.text)
    router.message.register(anything_else)  # stickers, photos, voice, locations…
    router.callback_query.register(button, F.data)
    return router

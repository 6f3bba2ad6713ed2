"""A turn of the conversation as Telegram messages: HTML-escaped text, inline buttons.

The messages of one turn are joined into as few Telegram messages as fit in 4096
characters (Telegram allows about one message per second per chat); the buttons go on the
last one. A question that wants a phone number also gets a "share my number" button.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from dialogs.render import MessageView
from dialogs.service import Turn
from dialogs.text import N_

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
SHARE_NUMBER = N_("Mijn nummer delen")
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
Translate = Callable[[str], str]


@dataclass(frozen=True)
class Outgoing:
    text: str
    markup: Markup | None = None


def callback_data(option_id: str) -> str:
    """The option id itself: stable, free of personal data, and at most 64 bytes."""
    if len(option_id.encode()) > MAX_CALLBACK_DATA:
        raise ValueError(f"callback_data over {MAX_CALLBACK_DATA} bytes: {option_id!r}")
    return option_id


def keyboard(message: MessageView, translate: Translate) -> Markup | None:
    if message.options:
        rows = [
            [InlineKeyboardButton(text=option.label, callback_data=callback_data(option.id))]
            for option in message.options
        ]
        return InlineKeyboardMarkup(inline_keyboard=rows)
    if message.input == "phone":
        share = KeyboardButton(text=translate(SHARE_NUMBER), request_contact=True)
        return ReplyKeyboardMarkup(keyboard=[[share]], resize_keyboard=True, one_time_keyboard=True)
    return None


def split(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters, at blank lines if possible."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n\n", 0, limit)
        if cut <= 0:
            cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
            entity = text.rfind("&", 0, cut)
            if entity > text.rfind(";", 0, cut):  # never cut "&amp;" in two
                cut = entity
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n")
    pieces.append(text)
    return [piece for piece in pieces if piece]


def to_telegram(turn: Turn, translate: Translate) -> list[Outgoing]:
    """The turn's messages, escaped and joined; buttons on the last message."""
    if not turn.messages:
        return []
    joined = "\n\n".join(html.escape(message.text, quote=False) for message in turn.messages)
    pieces = split(joined)
    markup = keyboard(turn.messages[-1], translate)
    if markup is None:
        markup = ReplyKeyboardRemove()  # an earlier "share my number" keyboard goes away
    return [Outgoing(text) for text in pieces[:-1]] + [Outgoing(pieces[-1], markup)]

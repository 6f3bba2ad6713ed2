"""The caseworkers' side of the bot: the *claim* button under a booking or call-back request.

A notification in the staff chat carries a button ``claim:b:<reference>`` (booking) or
``claim:c:<id>`` (call-back request). The first caseworker to press it has it: the press is
recorded through the ``Claims`` port (workflow data ``claims``), the message is edited to say
who took it and loses its button. A later press is told who has it, and changes nothing.
Presses from any chat other than the staff chat (workflow data ``staff_chat_id``) are answered
and ignored.

Include this router before the residents' one: theirs takes every callback query with data.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import Final, Literal, Protocol

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InaccessibleMessage, LinkPreviewOptions, Message, User

from bot.render import callback_data

log = logging.getLogger(__name__)

ClaimKind = Literal["booking", "callback"]
PREFIX: Final = "claim:"
_CODES: Final[dict[ClaimKind, str]] = {"booking": "b", "callback": "c"}
_KINDS: Final[dict[str, ClaimKind]] = {code: kind for kind, code in _CODES.items()}
MAX_NAME: Final = 80
HTML: Final = "HTML"

NOTED: Final = "Genoteerd"
TAKEN_BY: Final = "Opgepakt door {name}"
ALREADY_TAKEN: Final = "Al opgepakt door {name}"
GONE: Final = "Deze afspraak of dit verzoek bestaat niet meer."


@dataclass(frozen=True)
class Caseworker:
    """Who pressed: their Telegram user id and a short name (first name, last initial)."""

    telegram_id: int
    name: str


@dataclass(frozen=True)
class ClaimResult:
    """``claimed``: the presser has it (now, or already); ``taken``: someone else has it
    (``by``); ``unknown``: there is no such booking or call-back request (any more)."""

    status: Literal["claimed", "taken", "unknown"]
    by: str = ""


class Claims(Protocol):
    async def claim(self, kind: ClaimKind, ref: str, who: Caseworker) -> ClaimResult:
        """Record ``who`` as the one who has it, unless someone already does."""
        ...


def claim_data(kind: ClaimKind, ref: str) -> str:
    """The button's ``callback_data`` (at most 64 bytes, or ``ValueError``)."""
    return callback_data(f"{PREFIX}{_CODES[kind]}:{ref}")


def parse_claim(data: str) -> tuple[ClaimKind, str] | None:
    """``(kind, ref)`` from ``claim_data``'s output; ``None`` for anything else."""
    prefix, _, rest = data.partition(PREFIX)
    code, _, ref = rest.partition(":")
    if prefix or code not in _KINDS or not ref:
        return None
    return _KINDS[code], ref


def caseworker_of(user: User) -> Caseworker:
    """First name and the initial of the last name: no username, no phone number."""
    first = " ".join(user.first_name.split())
    last = " ".join((user.last_name or "").split())
    name = f"{first} {last[0]}." if last else first
    return Caseworker(user.id, name.strip()[:MAX_NAME] or str(user.id))


def make_router() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="staff")
    router.callback_query.register(claim, F.data.startswith(PREFIX))
    return router


async def claim(
    query: CallbackQuery,
    bot: Bot,
    claims: Claims | None = None,
    staff_chat_id: int | None = None,
) -> None:
    """A press on a *claim* button: always answered, so the button stops spinning."""
    message = query.message
    if claims is None or staff_chat_id is None or message is None:
        await query.answer()
        return
    if message.chat.id != staff_chat_id:
        log.info("claim button pressed outside the staff chat: ignored")
        await query.answer()
        return
    parsed = parse_claim(query.data or "")
    if parsed is None:
        await query.answer(GONE, show_alert=True)
        return
    kind, ref = parsed
    result = await claims.claim(kind, ref, caseworker_of(query.from_user))
    if result.status == "unknown":
        await query.answer(GONE, show_alert=True)
    elif result.status == "taken":
        await query.answer(ALREADY_TAKEN.format(name=result.by), show_alert=True)
    else:
        await query.answer(NOTED)
        await _show_taken(bot, message, result.by)


async def _show_taken(bot: Bot, message: Message | InaccessibleMessage, name: str) -> None:
    """Append who took it to the notification and drop its button (best effort: the claim
    itself is recorded already)."""
    note = TAKEN_BY.format(name=html.escape(name))
    try:
        if isinstance(message, Message) and message.text:
            await bot.edit_message_text(
                chat_id=message.chat.id,
                message_id=message.message_id,
                text=f"{message.html_text}\n\n✅ {note}",
                parse_mode=HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        else:  # its text is out of reach: only the button goes
            await bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=message.message_id, reply_markup=None
            )
    except TelegramBadRequest as error:  # e.g. "message is not modified" on a double press
        log.warning("staff message %s not edited: %s", message.message_id, type(error).__name__)

"""Claims from the caseworkers' Telegram chat: the *claim* button and its SQL side.

``staff_claim_keyboard`` puts the button under new bookings and call-back requests in the
staff chat; ``SqlClaims`` records the first press. A claim is one conditional ``UPDATE``
(nobody has it yet: neither ``claimed_by``, a dashboard claim, nor ``claimed_at``, which
every claim sets), so of two presses at once, or a press and a dashboard claim, one wins.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.staff import Caseworker, ClaimKind, ClaimResult, claim_data
from webhook.db import writer
from webhook.outbox.delivery import OutboxMessage
from webhook.staff import audit, records
from webhook.tables import bookings, callback_requests

CLAIM_LABEL: Final = "Ik pak dit op"
SOMEONE: Final = "een collega"


def staff_claim_keyboard(message: OutboxMessage) -> InlineKeyboardMarkup | None:
    """A *claim* button under a new booking or call-back request; nothing under the rest."""
    if message.event == "booking.created":
        kind: ClaimKind = "booking"
        ref = message.payload.get("reference")
    elif message.event == "callback.requested":
        kind, ref = "callback", message.payload.get("id")
    else:
        return None
    if ref is None:
        return None
    button = InlineKeyboardButton(text=CLAIM_LABEL, callback_data=claim_data(kind, str(ref)))
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SqlClaims:
    """The ``bot.staff.Claims`` port on the database: the first claim wins."""

    def __init__(self, engine: AsyncEngine, clock: Callable[[], datetime] = _utc_now) -> None:
        self._engine = engine
        self._clock = clock

    async def claim(self, kind: ClaimKind, ref: str, who: Caseworker) -> ClaimResult:
        now = self._clock()
        async with writer(self._engine).begin() as connection:
            row = await _row(connection, kind, ref)
            if row is None:
                return ClaimResult("unknown")
            table: Table = bookings if kind == "booking" else callback_requests
            result = await connection.execute(
                update(table)
                .where(
                    table.c.id == row.id,
                    table.c.claimed_by.is_(None),
                    table.c.claimed_at.is_(None),
                )
                .values(claimed_at=now, claimed_name=who.name, claimed_telegram_id=who.telegram_id)
            )
            if result.rowcount == 1:
                await audit.record(
                    connection,
                    staff_id=None,
                    action=audit.CLAIM_BOOKING if kind == "booking" else audit.CLAIM_CALLBACK,
                    subject=(
                        audit.booking_subject(row.reference)
                        if kind == "booking"
                        else audit.callback_subject(row.id)
                    ),
                    now=now,
                )
                return ClaimResult("claimed", who.name)
            row = await _row(connection, kind, ref)
            if row is None:
                return ClaimResult("unknown")
            if row.claimed_by is None and row.claimed_telegram_id == who.telegram_id:
                return ClaimResult("claimed", row.claimed_name or who.name)  # a second press
            return ClaimResult("taken", row.claimed_by_name or SOMEONE)


async def _row(connection: AsyncConnection, kind: ClaimKind, ref: str) -> Any | None:
    if kind == "booking":
        return await records.booking_by_reference(connection, ref)
    if not ref.isdecimal() or len(ref) > 18:
        return None
    return await records.callback_by_id(connection, int(ref))

"""The SQL ``BookingDesk``: one resident's bookings, inside the turn's transaction.

Booking takes a place in the slot with a conditional UPDATE (capacity can never be
exceeded), inserts the booking (a partial unique index allows one active booking per
resident) and writes the notifications to the outbox: all in the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from dialogs.booking import (
    Booked,
    BookingInfo,
    BookRequest,
    BookResult,
    HasOtherBooking,
    SlotOffer,
    SlotTaken,
)
from dialogs.ports import ConversationKey
from webhook.booking import slots as agenda
from webhook.booking.config import BookingConfig
from webhook.booking.notify import Actor, notify_booking
from webhook.booking.reference import new_reference
from webhook.booking.times import utc
from webhook.tables import bookings


def info_of(row: Any, config: BookingConfig) -> BookingInfo:
    return BookingInfo(
        reference=row.reference,
        starts_at=utc(row.starts_at).astimezone(config.zone),
        ends_at=utc(row.ends_at).astimezone(config.zone),
        mode=row.mode,
        address=config.address if row.mode == "office" else "",
        status=row.status,
    )


async def active_row(connection: AsyncConnection, key: ConversationKey) -> Any | None:
    statement = select(bookings).where(
        bookings.c.channel == key.channel,
        bookings.c.external_id == key.external_id,
        bookings.c.status == "active",
    )
    return (await connection.execute(statement)).first()


@dataclass
class SqlBookingDesk:
    connection: AsyncConnection
    key: ConversationKey
    config: BookingConfig

    def local_date(self, now: datetime) -> date:
        return now.astimezone(self.config.zone).date()

    async def free_days(self, *, mode: str, urgent: bool, now: datetime) -> tuple[date, ...]:
        return await agenda.free_days(
            self.connection, self.config, mode=mode, now=now, urgent=urgent
        )

    async def free_slots(
        self, *, mode: str, day: date, urgent: bool, now: datetime
    ) -> tuple[SlotOffer, ...]:
        return await agenda.free_slots(
            self.connection, self.config, mode=mode, now=now, urgent=urgent, day=day
        )

    async def active(self) -> BookingInfo | None:
        row = await active_row(self.connection, self.key)
        return None if row is None else info_of(row, self.config)

    async def book(self, request: BookRequest, *, now: datetime) -> BookResult:
        existing = await active_row(self.connection, self.key)
        if existing is not None:
            info = info_of(existing, self.config)
            if existing.slot_id == request.slot_id:
                return Booked(info, new=False)
            return HasOtherBooking(info)
        earliest = agenda.window(self.config, now=now, urgent=False).earliest
        if not await agenda.take(self.connection, request.slot_id, earliest=earliest):
            return SlotTaken()
        row = await self._insert(request, now)
        await notify_booking(
            self.connection, row, self.config, event="booking.created", by="resident", now=now
        )
        return Booked(info_of(row, self.config))

    async def _insert(self, request: BookRequest, now: datetime) -> Any:
        slot = await agenda.slot_row(self.connection, request.slot_id)
        assert slot is not None  # taken above, in this transaction
        values = {
            "slot_id": request.slot_id,
            "channel": self.key.channel,
            "external_id": self.key.external_id,
            "status": "active",
            "mode": slot.mode,  # type: ignore[attr-defined]
            "starts_at": slot.starts_at,  # type: ignore[attr-defined]
            "ends_at": slot.ends_at,  # type: ignore[attr-defined]
            "name": self.config.vault.seal(request.name),
            "phone": self.config.vault.seal(request.phone),
            "email": self.config.vault.seal(request.email),
            "locale": request.locale,
            "outcome": request.outcome,
            "urgent": request.urgent,
            "reasons": json.dumps(list(request.reasons)),
            "rule_version": request.rule_version,
            "situation": request.situation,
            "energy": request.energy,
            "supplier": request.supplier,
            "sequence": 0,
            "created_at": now,
            "updated_at": now,
        }
        for _ in range(8):
            try:
                async with self.connection.begin_nested():
                    reference = new_reference()
                    await self.connection.execute(
                        bookings.insert().values(reference=reference, **values)
                    )
                break
            except IntegrityError:
                continue  # a reference clash: draw again
        else:  # pragma: no cover - eight clashes in a row
            raise RuntimeError("could not draw a free booking reference")
        return (
            await self.connection.execute(select(bookings).where(bookings.c.reference == reference))
        ).one()

    async def move(self, slot_id: int, *, now: datetime) -> BookResult:
        current = await active_row(self.connection, self.key)
        if current is None or current.slot_id == slot_id:
            return SlotTaken() if current is None else Booked(info_of(current, self.config), False)
        earliest = agenda.window(self.config, now=now, urgent=False).earliest
        row = await move_booking(
            self.connection, current, slot_id, self.config, earliest=earliest, now=now
        )
        return SlotTaken() if row is None else Booked(info_of(row, self.config))

    async def cancel(self, *, now: datetime) -> BookingInfo | None:
        current = await active_row(self.connection, self.key)
        if current is None:
            return None
        row = await cancel_booking(self.connection, current, self.config, now=now)
        return info_of(row, self.config)


async def cancel_booking(
    connection: AsyncConnection,
    current: Any,
    config: BookingConfig,
    *,
    now: datetime,
    status: str = "cancelled",
    by: Actor = "resident",
) -> Any:
    """Cancel (or close with ``status``) a booking, free its slot and tell everyone; ``by``
    says who cancelled it (``notify_booking``)."""
    await connection.execute(
        update(bookings)
        .where(bookings.c.id == current.id)
        .values(status=status, sequence=current.sequence + 1, updated_at=now)
    )
    await agenda.release(connection, current.slot_id)
    row = (await connection.execute(select(bookings).where(bookings.c.id == current.id))).one()
    await notify_booking(connection, row, config, event="booking.cancelled", by=by, now=now)
    return row


async def move_booking(
    connection: AsyncConnection,
    current: Any,
    slot_id: int,
    config: BookingConfig,
    *,
    earliest: datetime,
    now: datetime,
    by: Actor = "resident",
) -> Any | None:
    """Move an active booking to ``slot_id``: take a place there (atomic, not before
    ``earliest``), free the old one, raise the sequence and tell everyone; ``by`` says who
    moved it (``notify_booking``). None, and nothing changed, when the slot cannot be taken."""
    if not await agenda.take(connection, slot_id, earliest=earliest):
        return None
    await agenda.release(connection, current.slot_id)
    slot = await agenda.slot_row(connection, slot_id)
    assert slot is not None  # taken above, in this transaction
    await connection.execute(
        update(bookings)
        .where(bookings.c.id == current.id)
        .values(
            slot_id=slot_id,
            mode=slot.mode,  # type: ignore[attr-defined]
            starts_at=slot.starts_at,  # type: ignore[attr-defined]
            ends_at=slot.ends_at,  # type: ignore[attr-defined]
            sequence=current.sequence + 1,
            reminder_sent_at=None,
            updated_at=now,
        )
    )
    row = (await connection.execute(select(bookings).where(bookings.c.id == current.id))).one()
    await notify_booking(connection, row, config, event="booking.rescheduled", by=by, now=now)
    return row

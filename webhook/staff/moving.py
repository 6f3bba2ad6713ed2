"""The staff action "move this booking to another time", and the times it can move to.

The move itself is the resident's (``webhook.booking.desk.move_booking``): a place in the new
slot is taken with the same conditional UPDATE, so capacity holds when caseworkers and
residents move at once. It runs under the lock the resident's own turns hold, in one
transaction with its audit row, and the resident is told as of a caseworker's change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from dialogs.booking import SlotOffer
from webhook.booking import slots as agenda
from webhook.booking.desk import move_booking
from webhook.booking.times import utc
from webhook.db import writer
from webhook.staff import audit
from webhook.staff.desk import StaffDesk
from webhook.staff.problems import Conflict, Invalid


async def free_times(desk: StaffDesk, mode: str) -> tuple[SlotOffer, ...]:
    """The free slots of ``mode`` a booking can move to: those a resident would be offered."""
    async with desk.engine.connect() as connection:
        return await agenda.free_slots(
            connection, desk.config, mode=mode, now=desk.clock(), urgent=False
        )


async def move(desk: StaffDesk, reference: str, slot_id: int) -> Any:
    """Move the active booking ``reference`` to ``slot_id``; the booking as it is then.

    ``NotFound`` for an unknown booking, ``Invalid`` for an unknown slot or one of another
    mode, ``Conflict`` when the booking is not active or the slot is closed, full or too soon.
    Moving to the slot it already has changes nothing."""
    now = desk.clock()
    async with writer(desk.engine).begin() as connection:
        row = await desk.locked_booking(connection, reference)
        if row.status != "active":
            raise Conflict(
                f"{row.reference} is {row.status}; only an active booking can be moved.",
                "not_active",
            )
        if row.slot_id == slot_id:
            return row
        earliest = await _checked_earliest(connection, desk, row, slot_id, now)
        if (
            await move_booking(
                connection, row, slot_id, desk.config, earliest=earliest, now=now, by="staff"
            )
            is None
        ):
            raise Conflict(f"Slot {slot_id} is full.", "slot_full")
        await audit.record(
            connection,
            staff_id=desk.member.id,
            action=audit.MOVE_BOOKING,
            subject=audit.booking_subject(row.reference),
            now=now,
        )
        return await desk.locked_booking(connection, reference)


async def _checked_earliest(
    connection: AsyncConnection, desk: StaffDesk, row: Any, slot_id: int, now: datetime
) -> datetime:
    """The earliest start a move may have, after refusing a slot it cannot go to at all."""
    slot: Any = await agenda.slot_row(connection, slot_id)
    if slot is None:
        raise Invalid(f"slot_id: there is no slot {slot_id}", "unknown_slot")
    if slot.mode != row.mode:
        raise Invalid(f"slot_id: slot {slot_id} is not a {row.mode} slot", "other_mode")
    earliest = agenda.window(desk.config, now=now, urgent=False).earliest
    if utc(slot.starts_at) < earliest:
        raise Conflict(f"Slot {slot_id} starts too soon or has passed.", "too_soon")
    if slot.closed:
        raise Conflict(f"Slot {slot_id} is closed.", "slot_closed")
    return earliest

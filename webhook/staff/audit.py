"""The audit log: who looked at or changed which personal data, and when.

One row per request that shows names, phone numbers or e-mail addresses, and one per
change; written in the same transaction as the read or the change, so nothing is shown
or changed without its row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncConnection

from webhook.tables import audit_log

LIST_BOOKINGS: Final = "list_bookings"
VIEW_BOOKING: Final = "view_booking"
EXPORT_CSV: Final = "export_csv"
LIST_CALLBACKS: Final = "list_callbacks"
SET_OUTCOME: Final = "set_outcome"
CLAIM_BOOKING: Final = "claim_booking"
MOVE_BOOKING: Final = "move_booking"
CLAIM_CALLBACK: Final = "claim_callback"
CALLBACK_DONE: Final = "callback_done"
ADD_SLOT: Final = "add_slot"
CLOSE_SLOTS: Final = "close_slots"
LOGIN: Final = "login"
LOGOUT: Final = "logout"
ERASE_RESIDENT: Final = "erase_resident"


async def record(
    connection: AsyncConnection, *, staff_id: int | None, action: str, subject: str, now: datetime
) -> None:
    await connection.execute(
        audit_log.insert().values(
            staff_id=staff_id, action=action[:32], subject=subject[:64], at=now
        )
    )


def booking_subject(reference: str) -> str:
    return f"booking:{reference}"


def callback_subject(callback_id: int) -> str:
    return f"callback:{callback_id}"

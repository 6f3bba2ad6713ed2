"""The staff action "erase this resident": the same erasure as ``/wis`` and the widget's DELETE.

The resident is found by one of their bookings or call-back requests; the erasure itself is
``SqlTurn.erase`` inside the conversation store's turn, so it takes the same per-resident
lock as the resident's own turns (and scrubs their notifications the same way,
``webhook.outbox.erasure``). The audit row is written in that same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.ports import ConversationKey
from webhook.outbox.erasure import ERASED
from webhook.staff import audit, records
from webhook.staff.desk import StaffDesk
from webhook.staff.problems import NotFound
from webhook.store import SqlConversationStore


@dataclass(frozen=True)
class Erasure:
    subject: str
    already_erased: bool


async def erase_resident(
    desk: StaffDesk, *, reference: str | None = None, callback_id: int | None = None
) -> Erasure:
    """Erase the resident behind ``reference`` or ``callback_id``; ``NotFound`` if neither."""
    now = desk.clock()
    async with desk.engine.connect() as connection:
        if reference is not None:
            row = await records.booking_by_reference(connection, reference)
            if row is None:
                raise NotFound(f"There is no booking {reference!r}.", "unknown_booking")
            subject = audit.booking_subject(row.reference)
        elif callback_id is not None:
            row = await records.callback_by_id(connection, callback_id)
            if row is None:
                raise NotFound(f"There is no call-back request {callback_id}.", "unknown_callback")
            subject = audit.callback_subject(callback_id)
        else:
            raise ValueError("give a reference or a call-back id")
    key = ConversationKey(row.channel, row.external_id)
    already = str(row.external_id).startswith(ERASED)
    store = SqlConversationStore(desk.engine, desk.config)
    async with store.turn(key) as tx:
        if not already:
            await tx.erase()
        await audit.record(
            tx.connection,
            staff_id=desk.member.id,
            action=audit.ERASE_RESIDENT,
            subject=subject,
            now=now,
        )
    return Erasure(subject, already)

"""What a caseworker can do, one transaction per action, each with its audit row.

Shared by the JSON API and the dashboard, so both behave the same. Reads of personal data
are audited in the same transaction as the read; changes in the same one as the change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from dialogs.ports import ConversationKey
from webhook.booking import slots as agenda
from webhook.booking.config import BookingConfig
from webhook.booking.desk import cancel_booking
from webhook.booking.times import utc
from webhook.db import writer
from webhook.staff import audit, records
from webhook.staff.members import StaffMember
from webhook.staff.problems import Conflict, Invalid, NotFound
from webhook.store import lock_id
from webhook.tables import bookings, callback_requests

Outcome = Literal["attended", "no_show", "cancelled"]
Mode = Literal["office", "phone"]
_CORRECTABLE = {"active", "attended", "no_show"}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return utc(moment).strftime("%Y%m%dT%H%MZ")


@dataclass(frozen=True)
class StaffDesk:
    engine: AsyncEngine
    config: BookingConfig
    member: StaffMember
    clock: Callable[[], datetime] = field(default=_utc_now)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        async with writer(self.engine).begin() as connection:
            yield connection

    async def _audit(
        self, connection: AsyncConnection, action: str, subject: str, now: datetime
    ) -> None:
        await audit.record(
            connection, staff_id=self.member.id, action=action, subject=subject, now=now
        )

    # -- bookings ---------------------------------------------------------------------------

    async def bookings(self, wanted: records.BookingFilter, *, export: bool = False) -> list[Any]:
        now = self.clock()
        async with self._write() as connection:
            found = await records.list_bookings(connection, wanted, self.config.zone)
            rows = [self.config.vault.open_row(row) for row in found]
            if export:
                await self._audit(connection, audit.EXPORT_CSV, "bookings:csv", now)
            else:
                await self._audit(connection, audit.LIST_BOOKINGS, "bookings:list", now)
        return rows

    async def booking(self, reference: str) -> Any:
        now = self.clock()
        async with self._write() as connection:
            row = await self._existing(connection, reference)
            await self._audit(
                connection, audit.VIEW_BOOKING, audit.booking_subject(row.reference), now
            )
        return row

    async def _existing(self, connection: AsyncConnection, reference: str) -> Any:
        row = await records.booking_by_reference(connection, reference)
        if row is None:
            raise NotFound(f"There is no booking {reference!r}.", "unknown_booking")
        return self.config.vault.open_row(row)

    async def locked_booking(self, connection: AsyncConnection, reference: str) -> Any:
        """The booking (opened), read after taking the lock its resident's own turns hold
        while they move or cancel (PostgreSQL; SQLite has one writer at a time)."""
        row = await self._existing(connection, reference)
        if connection.dialect.name == "postgresql":
            key = ConversationKey(row.channel, row.external_id)
            await connection.execute(select(func.pg_advisory_xact_lock(lock_id(key))))
            row = await self._existing(connection, reference)
        return row

    async def set_outcome(self, reference: str, outcome: Outcome) -> Any:
        """Attended or no-show (correctable); cancelled frees the slot and tells everyone."""
        now = self.clock()
        async with self._write() as connection:
            row = await self.locked_booking(connection, reference)
            if row.status != outcome:
                await self._change_status(connection, row, outcome, now)
            await self._audit(
                connection, audit.SET_OUTCOME, audit.booking_subject(row.reference), now
            )
            return await self._existing(connection, reference)

    async def _change_status(
        self, connection: AsyncConnection, row: Any, outcome: Outcome, now: datetime
    ) -> None:
        if outcome == "cancelled":
            if row.status != "active":
                raise Conflict(
                    f"{row.reference} is {row.status}; only an active booking can be cancelled.",
                    "not_active",
                )
            await cancel_booking(connection, row, self.config, now=now, by="staff")
            return
        if row.status not in _CORRECTABLE:
            raise Conflict(
                f"{row.reference} is {row.status}; it cannot be marked {outcome}.", "not_active"
            )
        await connection.execute(
            update(bookings).where(bookings.c.id == row.id).values(status=outcome, updated_at=now)
        )

    async def claim_booking(self, reference: str) -> Any:
        """The first caseworker to claim a booking has it (here or in the Telegram staff chat);
        a later claim is a conflict."""
        now = self.clock()
        async with self._write() as connection:
            row = await self._existing(connection, reference)
            await connection.execute(
                update(bookings)
                .where(
                    bookings.c.id == row.id,
                    bookings.c.claimed_by.is_(None),
                    bookings.c.claimed_at.is_(None),  # nor from the Telegram staff chat
                )
                .values(claimed_by=self.member.id, claimed_at=now)
            )
            row = await self._existing(connection, reference)
            if row.claimed_by != self.member.id:
                raise Conflict(
                    f"{row.reference} is already claimed by {row.claimed_by_name}.",
                    "already_claimed",
                )
            await self._audit(
                connection, audit.CLAIM_BOOKING, audit.booking_subject(row.reference), now
            )
            return row

    # -- call-back requests -----------------------------------------------------------------

    async def callbacks(self) -> list[Any]:
        now = self.clock()
        async with self._write() as connection:
            found = await records.open_callbacks(connection)
            rows = [self.config.vault.open_row(row) for row in found]
            await self._audit(connection, audit.LIST_CALLBACKS, "callbacks:list", now)
        return rows

    async def _callback(self, connection: AsyncConnection, callback_id: int) -> Any:
        row = await records.callback_by_id(connection, callback_id)
        if row is None:
            raise NotFound(f"There is no call-back request {callback_id}.", "unknown_callback")
        return self.config.vault.open_row(row)

    async def _claim_if_free(
        self, connection: AsyncConnection, callback_id: int, now: datetime
    ) -> None:
        """Claim for this caseworker unless someone (dashboard or Telegram) was first."""
        await connection.execute(
            update(callback_requests)
            .where(
                callback_requests.c.id == callback_id,
                callback_requests.c.claimed_by.is_(None),
                callback_requests.c.claimed_at.is_(None),
            )
            .values(claimed_by=self.member.id, claimed_at=now)
        )

    async def claim_callback(self, callback_id: int) -> Any:
        now = self.clock()
        async with self._write() as connection:
            await self._callback(connection, callback_id)
            await self._claim_if_free(connection, callback_id, now)
            row = await self._callback(connection, callback_id)
            if row.claimed_by != self.member.id:
                raise Conflict(
                    f"Call-back request {callback_id} is already claimed by {row.claimed_by_name}.",
                    "already_claimed",
                )
            await self._audit(
                connection, audit.CLAIM_CALLBACK, audit.callback_subject(callback_id), now
            )
            return row

    async def callback_done(self, callback_id: int) -> Any:
        """Mark a call-back request done (again is fine); whoever does it claims it too."""
        now = self.clock()
        async with self._write() as connection:
            await self._callback(connection, callback_id)
            await self._claim_if_free(connection, callback_id, now)
            await connection.execute(
                update(callback_requests)
                .where(callback_requests.c.id == callback_id)
                .values(status="done")
            )
            await self._audit(
                connection, audit.CALLBACK_DONE, audit.callback_subject(callback_id), now
            )
            return await self._callback(connection, callback_id)

    async def open_callback_count(self) -> int:
        async with self.engine.connect() as connection:
            return await records.count_open_callbacks(connection)

    # -- slots ------------------------------------------------------------------------------

    async def slots(self, first: date, last: date) -> list[Any]:
        async with self.engine.connect() as connection:
            return await records.slots_between(connection, first, last, self.config.zone)

    async def add_slot(
        self, *, starts_at: datetime, minutes: int, mode: Mode, capacity: int
    ) -> Any:
        """An ad-hoc slot (or a closed one reopened with this capacity)."""
        now = self.clock()
        if utc(starts_at) <= now:
            raise Invalid("starts_at: must be in the future")
        try:
            async with self._write() as connection:
                slot_id = await agenda.add_slot(
                    connection,
                    starts_at=starts_at,
                    minutes=minutes,
                    mode=mode,
                    capacity=capacity,
                    now=now,
                )
                await self._audit(connection, audit.ADD_SLOT, f"slot:{slot_id}", now)
                return await records.slot_by_id(connection, slot_id)
        except IntegrityError as exc:
            raise Conflict(
                "That slot exists and has more bookings than this capacity.", "capacity_too_low"
            ) from exc

    async def close_slots(self, *, start: datetime, end: datetime, mode: Mode | None) -> int:
        """Close every slot starting in [start, end); bookings already made stay."""
        if end <= start:
            raise Invalid("to: must be after from")
        if end - start > timedelta(days=366):
            raise Invalid("to: close at most a year at once")
        now = self.clock()
        async with self._write() as connection:
            closed = await agenda.close(connection, start=start, end=end, mode=mode)
            subject = f"slots:{_stamp(start)}-{_stamp(end)}:{mode or 'all'}"
            await self._audit(connection, audit.CLOSE_SLOTS, subject, now)
        return closed

    # -- notifications ----------------------------------------------------------------------

    async def dead_notifications(self) -> list[Any]:
        async with self.engine.connect() as connection:
            return await records.dead_notifications(connection)

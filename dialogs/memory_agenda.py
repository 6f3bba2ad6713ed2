"""An in-memory agenda implementing ``BookingDesk``, for tests of the conversation.

The SQL agenda (``webhook.booking``) is the real one; this keeps the same rules (capacity,
one active booking per resident, repeated confirms return the same booking) in plain dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

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


@dataclass
class _Slot:
    offer: SlotOffer
    capacity: int
    booked: int = 0


@dataclass
class MemoryAgenda:
    slots: dict[int, _Slot] = field(default_factory=dict)
    bookings: dict[ConversationKey, tuple[int, BookingInfo, BookRequest]] = field(
        default_factory=dict
    )
    address: str = "Voorbeeldstraat 1"
    always_taken: bool = False
    """For tests: every booking finds its slot taken meanwhile (by someone elsewhere)."""
    _counter: int = 0

    def add(self, offer: SlotOffer, capacity: int = 1) -> None:
        self.slots[offer.id] = _Slot(offer, capacity)

    def desk(self, key: ConversationKey) -> MemoryDesk:
        return MemoryDesk(self, key)

    def _free(self, mode: str, now: datetime) -> list[SlotOffer]:
        return sorted(
            (s.offer for s in self.slots.values() if s.booked < s.capacity),
            key=lambda o: o.starts_at,
        )

    def _reference(self) -> str:
        self._counter += 1
        return f"WA-M{self._counter:03d}"


@dataclass
class MemoryDesk:
    agenda: MemoryAgenda
    key: ConversationKey

    def _free(self, mode: str, now: datetime) -> list[SlotOffer]:
        return [o for o in self.agenda._free(mode, now) if o.mode == mode and o.starts_at > now]

    def local_date(self, now: datetime) -> date:
        return now.date()

    async def free_days(self, *, mode: str, urgent: bool, now: datetime) -> tuple[date, ...]:
        return tuple(sorted({o.starts_at.date() for o in self._free(mode, now)}))

    async def free_slots(
        self, *, mode: str, day: date, urgent: bool, now: datetime
    ) -> tuple[SlotOffer, ...]:
        return tuple(o for o in self._free(mode, now) if o.starts_at.date() == day)

    async def book(self, request: BookRequest, *, now: datetime) -> BookResult:
        existing = self.agenda.bookings.get(self.key)
        if existing is not None:
            slot_id, info, _ = existing
            return Booked(info, new=False) if slot_id == request.slot_id else HasOtherBooking(info)
        slot = self.agenda.slots.get(request.slot_id)
        if slot is None or slot.booked >= slot.capacity or self.agenda.always_taken:
            return SlotTaken()
        slot.booked += 1
        offer = slot.offer
        info = BookingInfo(
            self.agenda._reference(), offer.starts_at, offer.ends_at, offer.mode,
            self.agenda.address if offer.mode == "office" else "",
        )  # fmt: skip
        self.agenda.bookings[self.key] = (offer.id, info, request)
        return Booked(info)

    async def move(self, slot_id: int, *, now: datetime) -> BookResult:
        existing = self.agenda.bookings.get(self.key)
        slot = self.agenda.slots.get(slot_id)
        if existing is None or slot is None or slot.booked >= slot.capacity:
            return SlotTaken()
        old_id, info, request = existing
        slot.booked += 1
        self.agenda.slots[old_id].booked -= 1
        offer = slot.offer
        moved = replace(info, starts_at=offer.starts_at, ends_at=offer.ends_at, mode=offer.mode)
        self.agenda.bookings[self.key] = (slot_id, moved, request)
        return Booked(moved)

    async def active(self) -> BookingInfo | None:
        existing = self.agenda.bookings.get(self.key)
        return existing[1] if existing else None

    async def cancel(self, *, now: datetime) -> BookingInfo | None:
        existing = self.agenda.bookings.pop(self.key, None)
        if existing is None:
            return None
        slot_id, info, _ = existing
        self.agenda.slots[slot_id].booked -= 1
        return replace(info, status="cancelled")

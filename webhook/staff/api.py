"""The staff JSON API (``/api/staff``): bookings, call-backs, slots, dead notifications,
erasing a resident.

Every route needs ``Authorization: Bearer <staff token>``. Times are ISO 8601 with the
offset of the office's time zone; date filters are local dates.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from webhook.errors import ErrorBody
from webhook.staff.csv_export import csv_response
from webhook.staff.deps import ApiDesk, now
from webhook.staff.desk import StaffDesk
from webhook.staff.erasure import erase_resident
from webhook.staff.moving import move
from webhook.staff.problems import Invalid
from webhook.staff.records import BookingFilter
from webhook.staff.schemas import (
    BookingDetail,
    BookingOut,
    CallbackId,
    CallbackOut,
    ClosedOut,
    CloseIn,
    DeadNotificationOut,
    ErasedOut,
    EraseIn,
    MoveIn,
    OutcomeIn,
    SlotIn,
    SlotOut,
)

_ERRORS = {
    401: "Missing, wrong or revoked staff token",
    404: "Unknown booking or call-back request",
    409: "Conflict: claimed by someone else, the booking is not active, or the slot is full,"
    " closed or too soon",
    422: "Invalid body, query or path (or an unknown slot, or one of another mode)",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the JSON errors ``{"error", "message"}`` a route can give."""
    return {s: {"model": ErrorBody, "description": _ERRORS[s]} for s in statuses}


router = APIRouter(prefix="/api/staff", tags=["staff"], responses=errors(401))

Status = Literal["active", "cancelled", "attended", "no_show"]
Reference = Annotated[str, Path(min_length=3, max_length=16, examples=["WA-7K3Q"])]
MAX_SLOT_DAYS = 62


def _filter(status: Status | None, first: date | None, last: date | None) -> BookingFilter:
    if first and last and last < first:
        raise Invalid("to: must not be before from")
    return BookingFilter(status=status, first=first, last=last)


StatusQuery = Annotated[Status | None, Query(description="Only bookings with this status.")]
FromQuery = Annotated[date | None, Query(alias="from", description="First local date (inclusive).")]
ToQuery = Annotated[date | None, Query(alias="to", description="Last local date (inclusive).")]


@router.get("/bookings", response_model=list[BookingOut], responses=errors(422))
async def list_bookings(
    desk: ApiDesk,
    status: StatusQuery = None,
    first: FromQuery = None,
    last: ToQuery = None,
) -> list[BookingOut]:
    """Bookings, urgent ones first, then by time. Audit-logged (``list_bookings``)."""
    rows = await desk.bookings(_filter(status, first, last))
    return [BookingOut.of(row, desk.config.zone) for row in rows]


@router.get(
    "/bookings.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The bookings as CSV"},
        **errors(422),
    },
)
async def export_bookings(
    desk: ApiDesk,
    status: StatusQuery = None,
    first: FromQuery = None,
    last: ToQuery = None,
) -> Response:
    """The same bookings and fields as ``GET /bookings``, as CSV. Audit-logged."""
    rows = await desk.bookings(_filter(status, first, last), export=True)
    return csv_response(BookingOut.of(row, desk.config.zone) for row in rows)


def _detail(desk: StaffDesk, row: Any) -> BookingDetail:
    return BookingDetail.detail_of(row, desk.config.zone, address=desk.config.address)


@router.get("/bookings/{reference}", response_model=BookingDetail, responses=errors(404, 422))
async def get_booking(desk: ApiDesk, reference: Reference) -> BookingDetail:
    """One booking with its reasons in Dutch words. Audit-logged (``view_booking``)."""
    return _detail(desk, await desk.booking(reference))


@router.post(
    "/bookings/{reference}/outcome",
    response_model=BookingDetail,
    responses=errors(404, 409, 422),
)
async def set_outcome(desk: ApiDesk, reference: Reference, body: OutcomeIn) -> BookingDetail:
    """Record how the intake went. ``cancelled`` frees the slot at once and notifies
    caseworkers and the resident; ``attended`` and ``no_show`` only set the status (and
    may correct each other)."""
    return _detail(desk, await desk.set_outcome(reference, body.outcome))


@router.post(
    "/bookings/{reference}/move",
    response_model=BookingDetail,
    responses=errors(404, 409, 422),
)
async def move_booking(desk: ApiDesk, reference: Reference, body: MoveIn) -> BookingDetail:
    """Move an active booking to another free slot of its mode (see ``GET /slots``), from the
    resident's minimum notice on. The old slot is free again at once; caseworkers and the
    resident (by e-mail, and in their Telegram chat) are told the new time. 409 when the
    booking is not active or the slot is full, closed or too soon; 422 for an unknown slot or
    one of another mode. Audit-logged (``move_booking``)."""
    return _detail(desk, await move(desk, reference, body.slot_id))


@router.post(
    "/bookings/{reference}/claim",
    response_model=BookingDetail,
    responses=errors(404, 409, 422),
)
async def claim_booking(desk: ApiDesk, reference: Reference) -> BookingDetail:
    """Take the booking on; the first caseworker wins, later claims get 409 with the name."""
    return _detail(desk, await desk.claim_booking(reference))


@router.get("/callbacks", response_model=list[CallbackOut])
async def list_callbacks(desk: ApiDesk) -> list[CallbackOut]:
    """Open call-back requests, urgent first, then oldest first. Audit-logged."""
    return [CallbackOut.of(row, desk.config.zone) for row in await desk.callbacks()]


@router.post(
    "/callbacks/{callback_id}/claim",
    response_model=CallbackOut,
    responses=errors(404, 409, 422),
)
async def claim_callback(desk: ApiDesk, callback_id: CallbackId) -> CallbackOut:
    """Take the call-back on; the first caseworker wins."""
    return CallbackOut.of(await desk.claim_callback(callback_id), desk.config.zone)


@router.post(
    "/callbacks/{callback_id}/done",
    response_model=CallbackOut,
    responses=errors(404, 422),
)
async def callback_done(desk: ApiDesk, callback_id: CallbackId) -> CallbackOut:
    """The resident was called back: the request leaves the open list."""
    return CallbackOut.of(await desk.callback_done(callback_id), desk.config.zone)


@router.get("/slots", response_model=list[SlotOut], responses=errors(422))
async def list_slots(desk: ApiDesk, first: FromQuery = None, last: ToQuery = None) -> list[SlotOut]:
    """Slots with their capacity, bookings and whether they are closed (default: 14 days)."""
    today = now().astimezone(desk.config.zone).date()
    first = first or today
    last = last or first + timedelta(days=13)
    if last < first:
        raise Invalid("to: must not be before from")
    if (last - first).days >= MAX_SLOT_DAYS:
        raise Invalid(f"to: at most {MAX_SLOT_DAYS} days at once")
    return [SlotOut.of(row, desk.config.zone) for row in await desk.slots(first, last)]


@router.post("/slots", status_code=201, response_model=SlotOut, responses=errors(409, 422))
async def add_slot(desk: ApiDesk, body: SlotIn) -> SlotOut:
    """An ad-hoc slot; an existing closed slot at that time and mode is reopened."""
    row = await desk.add_slot(
        starts_at=body.starts_at,
        minutes=body.minutes or desk.config.schedule.intake_minutes,
        mode=body.mode,
        capacity=body.capacity,
    )
    return SlotOut.of(row, desk.config.zone)


@router.post("/slots/close", response_model=ClosedOut, responses=errors(422))
async def close_slots(desk: ApiDesk, body: CloseIn) -> ClosedOut:
    """Close the slots starting in [from, to): residents are no longer offered them.
    Bookings already made stay; cancel them one by one if needed."""
    return ClosedOut(closed=await desk.close_slots(start=body.start, end=body.end, mode=body.mode))


@router.get("/notifications/dead", response_model=list[DeadNotificationOut])
async def dead_notifications(desk: ApiDesk) -> list[DeadNotificationOut]:
    """Notifications given up on after their last retry, newest first (no payloads)."""
    return [
        DeadNotificationOut.of(row, desk.config.zone) for row in await desk.dead_notifications()
    ]


@router.post("/residents/erase", response_model=ErasedOut, responses=errors(404, 422))
async def erase(desk: ApiDesk, body: EraseIn) -> ErasedOut:
    """Erase a resident, found by one of their bookings or call-back requests, as ``/wis``
    does: their conversation and call-back requests are deleted, an active booking is
    cancelled (the slot is free again) and every booking of theirs is anonymised (the counts
    stay). Notifications to the resident that are not sent yet are deleted; those to
    caseworkers keep their facts without name, phone or e-mail. Audit-logged
    (``erase_resident``); erasing again is harmless."""
    done = await erase_resident(desk, reference=body.reference, callback_id=body.callback_id)
    return ErasedOut(subject=done.subject, already_erased=done.already_erased)

"""The caseworkers' dashboard (``/staff/``): bookings, call-backs and dead notifications.

Works without JavaScript. Every page that shows names or phone numbers is audit-logged
through ``StaffDesk``; every form carries the session's CSRF token (``deps.form_session``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from webhook.outbox.erasure import ERASED
from webhook.staff.csv_export import csv_response
from webhook.staff.deps import FormSession, PageSession, desk_for
from webhook.staff.desk import Outcome, StaffDesk
from webhook.staff.erasure import erase_resident
from webhook.staff.moving import free_times, move
from webhook.staff.pages import dutch, frame, local_today, render, see_other
from webhook.staff.problems import Conflict, NotFound, StaffProblem
from webhook.staff.records import BookingFilter
from webhook.staff.schemas import (
    BookingDetail,
    BookingOut,
    CallbackId,
    CallbackOut,
    DeadNotificationOut,
)
from webhook.staff.sessions import DashboardSession
from webhook.staff.templates import TEMPLATE_DIR

router = APIRouter(prefix="/staff", include_in_schema=False)
STYLESHEET: Final = TEMPLATE_DIR.parent / "static" / "staff.css"
OUTCOMES: Final[dict[str, Outcome]] = {
    "attended": "attended",
    "no_show": "no_show",
    "cancelled": "cancelled",
}
LIST_STATUSES: Final = {"active", "cancelled", "attended", "no_show"}
MOVE_DAYS: Final = 14
"""How many days ahead the move form offers free times."""


@router.get("/staff.css")
async def stylesheet() -> FileResponse:
    return FileResponse(STYLESHEET, media_type="text/css")


# -- bookings -------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def bookings_page(request: Request, session: PageSession, status: str = "active") -> Response:
    """Today's and upcoming bookings, urgent first."""
    desk = desk_for(request, session)
    chosen = status if status in LIST_STATUSES else None
    rows = await desk.bookings(BookingFilter(status=chosen, first=local_today(desk)))
    return render(
        request,
        "staff_bookings.html",
        session,
        current="bookings",
        bookings=[BookingOut.of(row, desk.config.zone) for row in rows],
        shown=chosen or "all",
        today=local_today(desk),
        **await frame(desk),
    )


@router.get("/bookings.csv")
async def bookings_csv_download(
    request: Request, session: PageSession, status: str = "active"
) -> Response:
    """The list on the bookings page as CSV (audit-logged as an export)."""
    desk = desk_for(request, session)
    chosen = status if status in LIST_STATUSES else None
    rows = await desk.bookings(BookingFilter(status=chosen, first=local_today(desk)), export=True)
    return csv_response(BookingOut.of(row, desk.config.zone) for row in rows)


async def _booking_page(
    request: Request,
    session: DashboardSession,
    desk: StaffDesk,
    reference: str,
    *,
    status: int = 200,
    problem: str | None = None,
) -> Response:
    row = await desk.booking(reference)
    booking = BookingDetail.detail_of(row, desk.config.zone, address=desk.config.address)
    return render(
        request,
        "staff_booking.html",
        session,
        status=status,
        problem=problem,
        current="bookings",
        booking=booking,
        mine=row.claimed_by == session.member.id,
        erased=str(row.external_id).startswith(ERASED),
        move_days=await _move_days(desk, row) if row.status == "active" else {},
        **await frame(desk),
    )


async def _move_days(desk: StaffDesk, row: Any) -> dict[date, list[Any]]:
    """The free times of the booking's mode in the next ``MOVE_DAYS`` days, by local day."""
    last = local_today(desk) + timedelta(days=MOVE_DAYS - 1)
    days: dict[date, list[Any]] = {}
    for offer in await free_times(desk, row.mode):
        if offer.id != row.slot_id and offer.starts_at.date() <= last:
            days.setdefault(offer.starts_at.date(), []).append(offer)
    return days


@router.get("/bookings/{reference}", response_class=HTMLResponse)
async def booking_page(request: Request, session: PageSession, reference: str) -> Response:
    desk = desk_for(request, session)
    try:
        return await _booking_page(request, session, desk, reference)
    except NotFound:
        return await _not_found(request, session, desk)


async def _not_found(request: Request, session: DashboardSession, desk: StaffDesk) -> Response:
    return render(
        request,
        "staff_error.html",
        session,
        status=404,
        problem="Deze afspraak of dit verzoek bestaat niet (meer).",
        **await frame(desk),
    )


@router.post("/bookings/{reference}/outcome")
async def booking_outcome(
    request: Request,
    session: FormSession,
    reference: str,
    outcome: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    desk = desk_for(request, session)
    chosen = OUTCOMES.get(outcome)
    try:
        if chosen is None:
            return await _booking_page(
                request, session, desk, reference, status=422, problem="Kies een uitkomst."
            )
        if chosen == "cancelled" and confirm != "yes":
            problem = "Vink eerst aan dat u de afspraak echt wilt annuleren."
            return await _booking_page(
                request, session, desk, reference, status=422, problem=problem
            )
        row = await desk.set_outcome(reference, chosen)
    except NotFound:
        return await _not_found(request, session, desk)
    except Conflict as conflict:
        return await _booking_page(
            request, session, desk, reference, status=409, problem=dutch(conflict)
        )
    return see_other(f"/staff/bookings/{row.reference}", chosen)


@router.post("/bookings/{reference}/move")
async def booking_move(
    request: Request,
    session: FormSession,
    reference: str,
    slot_id: Annotated[str, Form()] = "",
) -> Response:
    """Move the booking to the chosen free time; a refusal shows on the booking page."""
    desk = desk_for(request, session)
    try:
        if not slot_id.isdigit() or not 0 < int(slot_id) < 2**31:
            return await _booking_page(
                request, session, desk, reference, status=422, problem="Kies een nieuwe tijd."
            )
        row = await move(desk, reference, int(slot_id))
    except NotFound:
        return await _not_found(request, session, desk)
    except StaffProblem as problem:
        return await _booking_page(
            request, session, desk, reference, status=problem.status, problem=dutch(problem)
        )
    return see_other(f"/staff/bookings/{row.reference}", "moved")


@router.post("/bookings/{reference}/claim")
async def booking_claim(request: Request, session: FormSession, reference: str) -> Response:
    desk = desk_for(request, session)
    try:
        row = await desk.claim_booking(reference)
    except NotFound:
        return await _not_found(request, session, desk)
    except Conflict as conflict:
        return await _booking_page(
            request, session, desk, reference, status=409, problem=dutch(conflict)
        )
    return see_other(f"/staff/bookings/{row.reference}", "claimed")


@router.post("/bookings/{reference}/erase")
async def booking_erase(
    request: Request,
    session: FormSession,
    reference: str,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Erase the resident of this booking (after the confirm box), as ``/wis`` does."""
    desk = desk_for(request, session)
    try:
        if confirm != "yes":
            problem = "Vink eerst aan dat u de gegevens van deze bewoner echt wilt wissen."
            return await _booking_page(
                request, session, desk, reference, status=422, problem=problem
            )
        await erase_resident(desk, reference=reference)
    except NotFound:
        return await _not_found(request, session, desk)
    return see_other(f"/staff/bookings/{reference.strip().upper()}", "erased")


# -- call-back requests ---------------------------------------------------------------------


@router.get("/callbacks", response_class=HTMLResponse)
async def callbacks_page(request: Request, session: PageSession) -> Response:
    return await _callbacks_page(request, session)


async def _callbacks_page(
    request: Request, session: DashboardSession, *, status: int = 200, problem: str | None = None
) -> Response:
    desk = desk_for(request, session)
    rows = await desk.callbacks()
    return render(
        request,
        "staff_callbacks.html",
        session,
        status=status,
        problem=problem,
        current="callbacks",
        callbacks=[CallbackOut.of(row, desk.config.zone) for row in rows],
        **await frame(desk),
    )


@router.post("/callbacks/{callback_id}/claim")
async def callback_claim(
    request: Request, session: FormSession, callback_id: CallbackId
) -> Response:
    desk = desk_for(request, session)
    try:
        await desk.claim_callback(callback_id)
    except NotFound:
        return await _not_found(request, session, desk)
    except Conflict as conflict:
        return await _callbacks_page(request, session, status=409, problem=dutch(conflict))
    return see_other("/staff/callbacks", "callback_claimed")


@router.post("/callbacks/{callback_id}/done")
async def callback_done(
    request: Request, session: FormSession, callback_id: CallbackId
) -> Response:
    desk = desk_for(request, session)
    try:
        await desk.callback_done(callback_id)
    except NotFound:
        return await _not_found(request, session, desk)
    return see_other("/staff/callbacks", "callback_done")


# -- dead notifications ---------------------------------------------------------------------


@router.get("/notifications", response_class=HTMLResponse)
async def notifications_page(request: Request, session: PageSession) -> Response:
    desk = desk_for(request, session)
    rows = await desk.dead_notifications()
    return render(
        request,
        "staff_notifications.html",
        session,
        current="notifications",
        notifications=[DeadNotificationOut.of(row, desk.config.zone) for row in rows],
        **await frame(desk),
    )

"""The dashboard's slots page (``/staff/slots``): the next 14 days, an ad-hoc slot, a closure.

Form times are local (the office's time zone); the forms carry the session's CSRF token.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Final

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from webhook.staff.deps import FormSession, PageSession, desk_for
from webhook.staff.desk import Mode, StaffDesk
from webhook.staff.pages import dutch, frame, local_today, render, see_other
from webhook.staff.problems import StaffProblem
from webhook.staff.schemas import SlotOut
from webhook.staff.sessions import DashboardSession

router = APIRouter(prefix="/staff", include_in_schema=False)
SLOT_DAYS: Final = 14
MODES: Final[dict[str, Mode]] = {"office": "office", "phone": "phone"}


async def _slots_page(
    request: Request,
    session: DashboardSession,
    *,
    status: int = 200,
    problem: str | None = None,
) -> Response:
    desk = desk_for(request, session)
    today = local_today(desk)
    rows = await desk.slots(today, today + timedelta(days=SLOT_DAYS - 1))
    slots = [SlotOut.of(row, desk.config.zone) for row in rows]
    days: dict[date, list[SlotOut]] = {}
    for slot in slots:
        days.setdefault(slot.starts_at.date(), []).append(slot)
    return render(
        request,
        "staff_slots.html",
        session,
        status=status,
        problem=problem,
        current="slots",
        days=days,
        today=today,
        intake_minutes=desk.config.schedule.intake_minutes,
        **await frame(desk),
    )


@router.get("/slots", response_class=HTMLResponse)
async def slots_page(request: Request, session: PageSession) -> Response:
    return await _slots_page(request, session)


def _local(day: str, clock: str, desk: StaffDesk) -> datetime | None:
    try:
        return datetime.combine(
            date.fromisoformat(day), time.fromisoformat(clock), desk.config.zone
        )
    except ValueError:
        return None


def _next_midnight(day: str, desk: StaffDesk) -> datetime | None:
    """The end of ``day``: a period closed "until Friday" includes Friday."""
    try:
        following = date.fromisoformat(day) + timedelta(days=1)
    except ValueError:
        return None
    return datetime.combine(following, time(), desk.config.zone)


def _number(text: str, low: int, high: int) -> int | None:
    value = int(text) if text.strip().isdigit() else None
    return value if value is not None and low <= value <= high else None


@router.post("/slots")
async def slot_add(
    request: Request,
    session: FormSession,
    day: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    minutes: Annotated[str, Form()] = "",
    mode: Annotated[str, Form()] = "",
    capacity: Annotated[str, Form()] = "1",
) -> Response:
    desk = desk_for(request, session)
    starts_at = _local(day, start, desk)
    length = _number(minutes, 10, 240) if minutes else desk.config.schedule.intake_minutes
    places = _number(capacity, 1, 50)
    chosen = MODES.get(mode)
    if starts_at is None or length is None or places is None or chosen is None:
        problem = "Vul een datum, tijd, duur (10-240 minuten), soort en capaciteit (1-50) in."
        return await _slots_page(request, session, status=422, problem=problem)
    try:
        await desk.add_slot(starts_at=starts_at, minutes=length, mode=chosen, capacity=places)
    except StaffProblem as problem:
        text = "Die tijd is al voorbij." if problem.status == 422 else dutch(problem)
        return await _slots_page(request, session, status=problem.status, problem=text)
    return see_other("/staff/slots", "slot_added")


@router.post("/slots/close")
async def slots_close(
    request: Request,
    session: FormSession,
    from_day: Annotated[str, Form()] = "",
    from_time: Annotated[str, Form()] = "",
    to_day: Annotated[str, Form()] = "",
    to_time: Annotated[str, Form()] = "",
    mode: Annotated[str, Form()] = "",
) -> Response:
    desk = desk_for(request, session)
    start = _local(from_day, from_time or "00:00", desk)
    end = _local(to_day, to_time, desk) if to_time else _next_midnight(to_day, desk)
    if start is None or end is None or end <= start:
        problem = "Vul een begin en een einde in; het einde komt na het begin."
        return await _slots_page(request, session, status=422, problem=problem)
    try:
        await desk.close_slots(start=start, end=end, mode=MODES.get(mode))
    except StaffProblem:
        problem = "Sluit hoogstens een jaar tegelijk."
        return await _slots_page(request, session, status=422, problem=problem)
    return see_other("/staff/slots", "closed")

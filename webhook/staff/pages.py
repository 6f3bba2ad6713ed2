"""Rendering dashboard pages: every page gets the same frame (who is logged in, the CSRF
token for its forms, the menu) and a fixed notice chosen by code, never by request text."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from webhook.staff.deps import now
from webhook.staff.desk import StaffDesk
from webhook.staff.problems import StaffProblem
from webhook.staff.sessions import DashboardSession
from webhook.staff.templates import templates

NOTICES: Final = {
    "claimed": "U heeft deze afspraak op uw naam gezet.",
    "attended": "Opgeslagen: de bewoner is geweest.",
    "no_show": "Opgeslagen: de bewoner is niet gekomen.",
    "cancelled": "De afspraak is geannuleerd. De tijd is weer vrij.",
    "moved": "De afspraak is verplaatst. De oude tijd is weer vrij; iedereen krijgt bericht.",
    "erased": "De gegevens van de bewoner zijn gewist.",
    "callback_claimed": "U heeft dit terugbelverzoek op uw naam gezet.",
    "callback_done": "Het terugbelverzoek is afgehandeld.",
    "slot_added": "De tijd is toegevoegd.",
    "closed": "De tijden in die periode zijn gesloten.",
    "logged_out": "U bent uitgelogd.",
}

_MOVE_PROBLEMS: Final = {
    "slot_full": "Die tijd is al vol. Kies een andere tijd.",
    "slot_closed": "Die tijd is gesloten. Kies een andere tijd.",
    "too_soon": "Die tijd is voorbij of te dichtbij. Kies een latere tijd.",
    "other_mode": "Die tijd is voor een ander soort afspraak. Kies een andere tijd.",
    "unknown_slot": "Die tijd bestaat niet (meer). Kies een andere tijd.",
}


def render(
    request: Request,
    template: str,
    session: DashboardSession | None,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    notice = NOTICES.get(request.query_params.get("ok", ""))
    frame = {
        "member": session.member if session else None,
        "csrf": session.csrf if session else "",
        "notice": notice,
        "problem": None,
        "current": "",
    }
    return templates().TemplateResponse(request, template, {**frame, **context}, status_code=status)


def see_other(path: str, notice: str | None = None) -> RedirectResponse:
    """Post/redirect/get: after a form, the browser loads ``path`` with a fixed notice."""
    target = f"{path}?ok={notice}" if notice else path
    return RedirectResponse(target, status_code=303)


async def frame(desk: StaffDesk) -> dict[str, Any]:
    """What every logged-in page shows besides its content: the open call-backs count."""
    return {"open_callbacks": await desk.open_callback_count()}


def local_today(desk: StaffDesk) -> date:
    return now().astimezone(desk.config.zone).date()


def dutch(problem: StaffProblem) -> str:
    if problem.code == "already_claimed":
        return "Een collega heeft dit al op naam gezet (zie 'Op naam van')."
    if problem.code == "not_active":
        return "Deze afspraak is niet meer gepland; dat kan niet meer."
    if problem.code in _MOVE_PROBLEMS:
        return _MOVE_PROBLEMS[problem.code]
    if problem.code == "capacity_too_low":
        return "Die tijd bestaat al en heeft meer afspraken dan deze capaciteit."
    return "Dat lukte niet."

"""The staff side: caseworkers' tokens and sessions, the JSON API under ``/api/staff`` and
the dashboard under ``/staff/``, with an audit row for every view of personal data."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from webhook.errors import error_response
from webhook.headers import AddHeaders
from webhook.staff import api, dashboard, funnel_pages, login, slot_pages
from webhook.staff.deps import CsrfRejected, LoginRequired
from webhook.staff.headers import HEADERS as STAFF_HEADERS
from webhook.staff.headers import is_staff_path
from webhook.staff.pages import render
from webhook.staff.problems import StaffProblem


async def _problem(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StaffProblem)
    return error_response(exc.status, exc.code, exc.message)


async def _to_login(_request: Request, _exc: Exception) -> Response:
    return RedirectResponse("/staff/login", status_code=303)


async def _csrf(request: Request, _exc: Exception) -> Response:
    problem = "Dit formulier is verlopen of komt niet van deze site. Laad de pagina opnieuw."
    return render(request, "staff_error.html", None, status=403, problem=problem)


def install(app: FastAPI) -> None:
    """Add the staff routes, their error answers and their security headers to ``app``."""
    app.include_router(api.router)
    app.include_router(login.router)
    app.include_router(dashboard.router)
    app.include_router(slot_pages.router)
    app.include_router(funnel_pages.router)
    app.add_exception_handler(StaffProblem, _problem)
    app.add_exception_handler(LoginRequired, _to_login)
    app.add_exception_handler(CsrfRejected, _csrf)
    app.add_middleware(AddHeaders, headers=STAFF_HEADERS, applies=is_staff_path)

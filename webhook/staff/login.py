"""Logging in to the dashboard with a staff token, and out again.

The login form is protected like every other form: a random nonce in a short-lived
SameSite=Strict cookie, and a token derived from it in the form (double submit). The
session cookie holds only a random session id (HttpOnly, SameSite=Strict, Secure over
HTTPS, path ``/staff``); the staff token never appears in a URL, a cookie or a log.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from webhook.deps import get_components
from webhook.staff.deps import LOGIN_COOKIE, SESSION_COOKIE, FormSession, now
from webhook.staff.pages import render, see_other
from webhook.staff.sessions import LIFETIME, close_session, find_session, open_session
from webhook.staff.tokens import csrf_token, new_session_id, same

router = APIRouter(prefix="/staff", include_in_schema=False)
LOGIN_PURPOSE: Final = "staff-login"
LOGIN_SECONDS: Final = 3600


def _secure(request: Request) -> bool:
    public = get_components(request).settings.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def _login_page(request: Request, *, status: int = 200, problem: str | None = None) -> Response:
    nonce = new_session_id()
    response = render(
        request,
        "staff_login.html",
        None,
        status=status,
        login_csrf=csrf_token(nonce, LOGIN_PURPOSE),
        problem=problem,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=LOGIN_SECONDS,
        path="/staff/login",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        async with get_components(request).db.connect() as connection:
            if await find_session(connection, session_id, now=now()) is not None:
                return see_other("/staff/")
    return _login_page(request)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    token: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not csrf or not same(csrf, csrf_token(nonce, LOGIN_PURPOSE)):
        problem = "Het formulier is verlopen. Probeer het nog een keer."
        return _login_page(request, status=403, problem=problem)
    session = await open_session(get_components(request).db, token.strip(), now=now())
    if session is None:
        problem = "Deze sleutel klopt niet of is ingetrokken."
        return _login_page(request, status=401, problem=problem)
    response = RedirectResponse("/staff/", status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path="/staff/login")
    response.set_cookie(
        SESSION_COOKIE,
        session.session_id,
        max_age=int(LIFETIME.total_seconds()),
        path="/staff",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


@router.post("/logout")
async def logout(request: Request, session: FormSession) -> Response:
    await close_session(get_components(request).db, session, now=now())
    response = see_other("/staff/login", "logged_out")
    response.delete_cookie(SESSION_COOKIE, path="/staff")
    return response

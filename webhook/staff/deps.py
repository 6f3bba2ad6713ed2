"""FastAPI dependencies of the staff side: who is asking, and their ``StaffDesk``.

The JSON API takes ``Authorization: Bearer <staff token>`` (no cookies, so no CSRF). The
dashboard takes its session cookie, and for every POST also the session's CSRF token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final

from fastapi import Depends, Form, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from webhook.booking.config import BookingConfig
from webhook.deps import get_components
from webhook.errors import ApiError
from webhook.staff.desk import StaffDesk
from webhook.staff.members import StaffMember, member_by_token
from webhook.staff.sessions import DashboardSession, find_session
from webhook.staff.tokens import same

SESSION_COOKIE: Final = "weeraan_staff"
LOGIN_COOKIE: Final = "weeraan_staff_login"

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="StaffToken",
    description="A staff token, printed once by `weeraan staff add NAME`.",
)


class LoginRequired(Exception):
    """The dashboard needs a (live) session: the answer is a redirect to the login page."""


class CsrfRejected(Exception):
    """A dashboard form came without the session's CSRF token."""


def booking_config(request: Request) -> BookingConfig:
    return get_components(request).booking


def now() -> datetime:
    return datetime.now(UTC)


def _refuse() -> ApiError:
    return ApiError(
        401,
        "bad_token",
        "Missing, wrong or revoked staff token.",
        {"WWW-Authenticate": "Bearer"},
    )


async def api_member(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> StaffMember:
    if credentials is None:
        raise _refuse()
    async with get_components(request).db.connect() as connection:
        member = await member_by_token(connection, credentials.credentials.strip())
    if member is None:
        raise _refuse()
    return member


async def api_desk(
    request: Request, member: Annotated[StaffMember, Depends(api_member)]
) -> StaffDesk:
    return StaffDesk(get_components(request).db, booking_config(request), member)


async def page_session(request: Request) -> DashboardSession:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise LoginRequired
    async with get_components(request).db.connect() as connection:
        session = await find_session(connection, session_id, now=now())
    if session is None:
        raise LoginRequired
    return session


async def form_session(
    session: Annotated[DashboardSession, Depends(page_session)],
    csrf: Annotated[str, Form()] = "",
) -> DashboardSession:
    if not csrf or not same(csrf, session.csrf):
        raise CsrfRejected
    return session


ApiDesk = Annotated[StaffDesk, Depends(api_desk)]
PageSession = Annotated[DashboardSession, Depends(page_session)]
FormSession = Annotated[DashboardSession, Depends(form_session)]


def desk_for(request: Request, session: DashboardSession) -> StaffDesk:
    return StaffDesk(get_components(request).db, booking_config(request), session.member)

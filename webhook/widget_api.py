"""The widget JSON API (``/api/chat``): the website chat talks only to these four routes."""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Annotated, Literal, Self

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dialogs.events import Event, OptionChosen, TextEntered
from dialogs.languages import from_accept_language
from dialogs.ports import ConversationKey
from dialogs.render import MessageView
from dialogs.service import ConversationService, Turn
from webhook.booking.calendar import latest_calendar
from webhook.deps import get_components
from webhook.errors import ApiError, responses
from webhook.ratelimit import RateLimiter
from webhook.widget_sessions import Check, WidgetSessions

CHANNEL = "widget"
SOURCE_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # Telegram's rule for a deep link's start parameter
router = APIRouter(prefix="/api/chat", tags=["widget"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionCreate(_Body):
    locale: str | None = Field(
        None,
        max_length=35,
        examples=["nl"],
        description="The language to start in; one not offered is passed over",
    )
    source: str | None = Field(
        None,
        pattern=SOURCE_PATTERN,
        examples=["poster"],
        description="Where the resident came from (a campaign label such as a poster's); "
        "kept as the conversation's source, default widget",
    )


class Incoming(_Body):
    """Exactly one of ``text`` (typed) and ``option`` (a button's id)."""

    text: str | None = Field(None, max_length=2000, examples=["1315 AB 12"])
    option: str | None = Field(None, max_length=64, examples=["supplier:vattenfall"])

    @field_validator("text", mode="before")
    @classmethod
    def _valid_unicode(cls, value: object) -> object:
        # Before pydantic's own check, which refuses lone surrogates ("\ud800" in JSON).
        if not isinstance(value, str):
            return value
        return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.text is None) == (self.option is None):
            raise ValueError("send either 'text' or 'option'")
        return self

    def event(self) -> Event:
        return (
            OptionChosen(self.option) if self.option is not None else TextEntered(self.text or "")
        )


class OptionOut(BaseModel):
    id: str
    label: str


class MessageOut(BaseModel):
    text: str
    options: list[OptionOut]
    input: Literal["text", "postcode", "phone", "email"] | None

    @classmethod
    def of(cls, view: MessageView) -> MessageOut:
        options = [OptionOut(id=o.id, label=o.label) for o in view.options]
        kind = "text" if view.input == "name" else view.input  # the API's four input kinds
        return cls(text=view.text, options=options, input=kind)


class TurnOut(BaseModel):
    messages: list[MessageOut]
    locale: str
    ended: bool
    calendar: str | None = Field(
        None, description="Once an intake is booked: where to download its .ics (same token)"
    )

    @classmethod
    def of(cls, turn: Turn, key: ConversationKey) -> TurnOut:
        messages = [MessageOut.of(m) for m in turn.messages]
        calendar = f"{router.prefix}/sessions/{key.external_id}/calendar.ics"
        return cls(
            messages=messages,
            locale=turn.locale,
            ended=turn.ended,
            calendar=calendar if turn.reference else None,
        )


class SessionCreated(BaseModel):
    session_id: str
    token: str
    locale: str
    messages: list[MessageOut]


class WidgetLimits:
    """Rate limits of the widget API: per client address and per session."""

    def __init__(self, per_ip_minute: int, per_session_minute: int) -> None:
        self.per_ip = RateLimiter(per_ip_minute, burst=max(10, per_ip_minute // 4))
        self.per_session = RateLimiter(per_session_minute, burst=max(5, per_session_minute // 3))


def _refuse(wait: float) -> None:
    if wait > 0:
        seconds = str(max(1, math.ceil(wait)))
        raise ApiError(
            429,
            "rate_limited",
            "Too many requests. Please wait a moment.",
            {"Retry-After": seconds},
        )


def _limit_ip(request: Request) -> None:
    limits: WidgetLimits = get_components(request).widget_limits
    _refuse(limits.per_ip.hit(request.client.host if request.client else "-"))


async def _session(
    request: Request,
    session_id: str,
    authorization: Annotated[str | None, Header()] = None,
) -> ConversationKey:
    components = get_components(request)
    scheme, _, token = (authorization or "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else None
    check = await components.widget_sessions.check(session_id, bearer)
    if check is Check.UNKNOWN:
        raise ApiError(404, "unknown_session", "This chat session does not exist (any more).")
    if check is Check.BAD_TOKEN:
        raise ApiError(401, "bad_token", "Missing or wrong token for this session.")
    _refuse(components.widget_limits.per_session.hit(session_id))
    return ConversationKey(CHANNEL, session_id)


def _offered(locale: str | None, offered: Collection[str]) -> str | None:
    """The offered language ``locale`` names (``en-GB`` → ``en``), if any."""
    base = (locale or "").replace("_", "-").split("-")[0].strip().lower()
    return base if base in offered else None


def _service(request: Request) -> ConversationService:
    return get_components(request).service


Service = Annotated[ConversationService, Depends(_service)]
Session = Annotated[ConversationKey, Depends(_session)]
LimitIp = Depends(_limit_ip)


@router.post(
    "/sessions",
    status_code=201,
    response_model=SessionCreated,
    dependencies=[LimitIp],
    responses=responses(413, 422, 429),
)
async def create_session(
    request: Request,
    service: Service,
    body: SessionCreate | None = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> SessionCreated:
    """Start a conversation. The language is ``locale`` if offered, else ``Accept-Language``."""
    sessions: WidgetSessions = get_components(request).widget_sessions
    new = await sessions.create()
    offered = service.engine.languages
    asked = _offered(body.locale if body else None, offered)
    locale = asked or from_accept_language(accept_language, offered)
    source = (body.source if body else None) or CHANNEL
    turn = await service.start(ConversationKey(CHANNEL, new.id), locale=locale, source=source)
    messages = [MessageOut.of(m) for m in turn.messages]
    return SessionCreated(session_id=new.id, token=new.token, locale=turn.locale, messages=messages)


@router.post(
    "/sessions/{session_id}/messages",
    response_model=TurnOut,
    dependencies=[LimitIp],
    responses=responses(401, 404, 413, 422, 429),
)
async def send_message(body: Incoming, key: Session, service: Service) -> TurnOut:
    """Send typed text or a pressed button; the answer holds the bot's next messages."""
    return TurnOut.of(await service.handle(key, body.event()), key)


@router.get(
    "/sessions/{session_id}",
    response_model=TurnOut,
    dependencies=[LimitIp],
    responses=responses(401, 404, 429),
)
async def resume(request: Request, key: Session, service: Service) -> TurnOut:
    """The current step's messages again, to resume after a reload."""
    turn = await service.current(key)
    if turn is None:
        turn = await service.start(key, source="widget")
    return TurnOut.of(turn, key)


@router.get(
    "/sessions/{session_id}/calendar.ics",
    response_class=Response,
    dependencies=[LimitIp],
    responses={
        200: {"content": {"text/calendar": {}}, "description": "The intake as an .ics file"},
        **responses(401, 404, 429),
    },
)
async def calendar(request: Request, key: Session, service: Service) -> Response:
    """The booked intake as a calendar file (a cancelled one has ``METHOD:CANCEL``)."""
    components = get_components(request)
    ics = await latest_calendar(components.db, key, components.booking, service.translator)
    if ics is None:
        raise ApiError(404, "no_booking", "This conversation has no booked intake.")
    headers = {"Content-Disposition": 'attachment; filename="afspraak.ics"'}
    return Response(ics, media_type="text/calendar; charset=utf-8", headers=headers)


@router.delete(
    "/sessions/{session_id}",
    status_code=204,
    response_class=Response,
    dependencies=[LimitIp],
    responses=responses(401, 404, 429),
)
async def erase(request: Request, key: Session, service: Service) -> Response:
    """Erase everything of this session: the conversation, its answers and the session."""
    await service.erase(key)
    await get_components(request).widget_sessions.delete(key.external_id)
    return Response(status_code=204)

"""Schemathesis against the app's own OpenAPI document: the widget API and the staff API.

The app runs with its lifespan under uvicorn on 127.0.0.1 (``live.serving``); a booking made
through the widget gives the staff routes real data. Every operation is tried with
generated input twice over: as generated (random session ids, tokens and references: they
must get their documented 401/404/422), and with real credentials put in (a fresh widget
session and its token, a valid staff token, the real booking reference), so requests get
past authentication into the handlers. Checks: no 5xx, every status documented, every
response body inside its schema.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.schemas import BaseSchema

from tests.hostile.live import serving
from tests.staff.conftest import EVERY_DAY, NOTIFY
from tests.webhook.test_widget_api import GENEROUS
from tests.widget_paths import ELIGIBLE, OFFICE
from webhook.db import create_engine
from webhook.settings import Settings
from webhook.staff.members import add_staff

pytestmark = pytest.mark.slow

# schemathesis.Case and APIOperation are generic over its internals: Any here.
Case = Any
APIOperation = Any
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
BOUNDED = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
SESSIONS = "/api/chat/sessions"
TO_BOOKING = [*ELIGIBLE, OFFICE]


@dataclass(frozen=True)
class Live:
    base_url: str
    staff_token: str
    reference: str
    booked_session: tuple[str, str]


def _options(turn: dict[str, Any], prefix: str) -> list[str]:
    return [o["id"] for o in turn["messages"][-1]["options"] if o["id"].startswith(prefix)]


def _book(base_url: str) -> tuple[str, str]:
    """A resident books an intake through the widget: (session id, token)."""
    with httpx.Client(base_url=base_url) as http:
        created = http.post(SESSIONS, json={}).json()
        sid, token = created["session_id"], created["token"]
        auth = {"Authorization": f"Bearer {token}"}

        def send(**body: str) -> dict[str, Any]:
            response = http.post(f"{SESSIONS}/{sid}/messages", json=body, headers=auth)
            assert response.status_code == 200, response.text
            return dict(response.json())

        turn: dict[str, Any] = {}
        for step in TO_BOOKING:
            turn = send(**step)
        turn = send(option=_options(turn, "day:")[-1])
        send(option=_options(turn, "slot:")[0])
        send(text="Fatima de Vries")
        send(text="06 12345678")
        send(option="email:skip")
        send(option="summary:confirm")
    return sid, token


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('schemathesis') / 'weeraan.db'}"
    app_settings = Settings(database_url=url, widget=GENEROUS, schedule=EVERY_DAY, notify=NOTIFY)
    with serving(app_settings) as base_url:
        sid, token = _book(base_url)

        async def staff_token() -> str:
            db = create_engine(url)
            try:
                return (await add_staff(db, "Anna", now=datetime.now(UTC))).token
            finally:
                await db.dispose()

        bearer = asyncio.run(staff_token())
        listed = httpx.get(
            f"{base_url}/api/staff/bookings", headers={"Authorization": f"Bearer {bearer}"}
        )
        assert listed.status_code == 200, listed.text
        (booking,) = listed.json()
        yield Live(base_url, bearer, booking["reference"], (sid, token))


@pytest.fixture(scope="module")
def api_schema(live: Live) -> BaseSchema:
    return schemathesis.openapi.from_url(f"{live.base_url}/openapi.json")


def _new_session(live: Live) -> tuple[str, str]:
    created = httpx.post(f"{live.base_url}{SESSIONS}", json={})
    assert created.status_code == 201, created.text
    body = created.json()
    return body["session_id"], body["token"]


def _set(case: Case, *, path: dict[str, str] | None = None, token: str | None = None) -> None:
    if path:
        known = {k: v for k, v in path.items() if k in (case.path_parameters or {})}
        case.path_parameters = {**(case.path_parameters or {}), **known}
    if token is not None:
        case.headers["Authorization"] = f"Bearer {token}"


def _as_generated(case: Case, live: Live) -> None:
    """Random session ids, tokens and references: the documented 401/404/422."""


def _real_session(case: Case, live: Live) -> None:
    """A fresh widget session with its token (gets past authentication)."""
    if "session_id" in (case.path_parameters or {}):
        sid, token = _new_session(live)
        _set(case, path={"session_id": sid}, token=token)


def _booked_session(case: Case, live: Live) -> None:
    """The session that booked an intake (its turn and its .ics)."""
    sid, token = live.booked_session
    _set(case, path={"session_id": sid}, token=token)


def _staff_token(case: Case, live: Live) -> None:
    """A caseworker's valid token; generated ids, queries and bodies."""
    _set(case, token=live.staff_token)


def _real_booking(case: Case, live: Live) -> None:
    """A caseworker's valid token on the real booking's reference."""
    _set(case, path={"reference": live.reference}, token=live.staff_token)


VARIANTS: list[tuple[str, str, Callable[[Case, Live], None]]] = [
    ("widget", r"^/api/chat/", _as_generated),
    ("widget", r"^/api/chat/", _real_session),
    ("widget", r"^/api/chat/sessions/\{session_id\}", _booked_session),
    ("staff", r"^/api/staff/", _as_generated),
    ("staff", r"^/api/staff/", _staff_token),
    ("staff", r"^/api/staff/bookings/\{reference\}", _real_booking),
]


def _fuzz(operation: APIOperation, mode: GenerationMode, prepare: Callable[[Case], None]) -> None:
    @BOUNDED
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case) -> None:
        prepare(case)
        case.call_and_validate(checks=CHECKS)

    run()


@pytest.mark.parametrize(
    ("api", "paths", "prepare"), VARIANTS, ids=[f"{a}-{p.__name__[1:]}" for a, _, p in VARIANTS]
)
def test_schemathesis_finds_nothing(
    api: str,
    paths: str,
    prepare: Callable[[Case, Live], None],
    api_schema: BaseSchema,
    live: Live,
) -> None:
    """Every selected operation, positive and negative data: no 5xx, documented statuses,
    responses inside their schema. Failures of all operations are collected, then shown."""
    operations = [
        cast(Any, result).ok()
        for result in api_schema.include(path_regex=paths).get_all_operations()
    ]
    assert operations, paths
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, lambda case: prepare(case, live))
            except Unsatisfiable:
                # Negative mode on an operation with nothing to break (no body, no query).
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as exc:  # every failure is reported below
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert not failures, "\n\n".join(failures)


def test_the_spec_documents_the_routes_tried(live: Live) -> None:
    """Guard: the filters above select the widget and staff operations (not nothing)."""
    spec = httpx.get(f"{live.base_url}/openapi.json").json()
    paths = set(spec["paths"])
    assert {f"{SESSIONS}", f"{SESSIONS}/{{session_id}}/messages"} <= paths
    assert "/api/staff/bookings/{reference}" in paths

"""Staff tokens: 256 random bits, stored only as SHA-256, refused when missing, wrong or revoked."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.staff.conftest import StaffApp
from webhook.staff.members import revoke_staff
from webhook.tables import staff

ROUTES = [
    ("get", "/api/staff/bookings"),
    ("get", "/api/staff/bookings.csv"),
    ("get", "/api/staff/bookings/WA-2222"),
    ("post", "/api/staff/bookings/WA-2222/outcome"),
    ("post", "/api/staff/bookings/WA-2222/claim"),
    ("get", "/api/staff/callbacks"),
    ("post", "/api/staff/callbacks/1/claim"),
    ("post", "/api/staff/callbacks/1/done"),
    ("get", "/api/staff/slots"),
    ("post", "/api/staff/slots"),
    ("post", "/api/staff/slots/close"),
    ("get", "/api/staff/notifications/dead"),
]


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "bad_token"
    assert set(response.json()) == {"error", "message"}
    assert response.headers["www-authenticate"] == "Bearer"


async def test_the_token_is_random_and_stored_only_as_its_hash(
    staff_app: StaffApp, sqlite_url: str
) -> None:
    token = staff_app.anna.token
    secret = token.removeprefix("wa_staff_")
    raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    assert len(raw) * 8 == 256
    other = await staff_app.add_staff("Bert")
    assert other.token != token
    async with staff_app.db.connect() as connection:
        rows = (await connection.execute(select(staff))).all()
    stored = {row.name: row.token_hash for row in rows}
    assert stored["Anna"] == hashlib.sha256(token.encode()).hexdigest()
    for row in rows:
        assert all(token not in str(value) for value in row)
    database = Path(sqlite_url.split("///", 1)[1])
    for path in database.parent.iterdir():
        if path.name.startswith(database.name):
            assert token.encode() not in path.read_bytes(), path
    assert (await staff_app.get("/bookings")).status_code == 200


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_needs_a_token(staff_app: StaffApp, method: str, path: str) -> None:
    assert_refused(await staff_app.http.request(method, path))
    wrong = {"Authorization": "Bearer wa_staff_" + "A" * 43}
    assert_refused(await staff_app.http.request(method, path, headers=wrong))


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Basic QW5uYTpzZWNyZXQ=",
        "Token {token}",
        "Bearer {token}x",
        "Bearer x{token}",
        "Bearer " + "x" * 5000,
    ],
)
async def test_malformed_or_wrong_tokens_are_refused(staff_app: StaffApp, header: str) -> None:
    value = header.format(token=staff_app.anna.token)
    response = await staff_app.http.get("/api/staff/bookings", headers={"Authorization": value})
    assert_refused(response)


async def test_the_scheme_is_case_insensitive(staff_app: StaffApp) -> None:
    headers = {"Authorization": f"bearer {staff_app.anna.token}"}
    assert (await staff_app.http.get("/api/staff/bookings", headers=headers)).status_code == 200


async def test_a_revoked_token_is_refused(staff_app: StaffApp) -> None:
    bert = await staff_app.add_staff("Bert")
    assert (await staff_app.get("/bookings", token=bert.token)).status_code == 200
    assert await revoke_staff(staff_app.db, "Bert") == 1
    assert_refused(await staff_app.get("/bookings", token=bert.token))
    assert (await staff_app.get("/bookings")).status_code == 200  # Anna is still in
    again = await staff_app.add_staff("Bert")  # the name is free again, with a new token
    assert (await staff_app.get("/bookings", token=again.token)).status_code == 200
    assert_refused(await staff_app.get("/bookings", token=bert.token))


async def test_refused_requests_write_no_audit_rows(staff_app: StaffApp) -> None:
    await staff_app.book_direct(name="Piet", urgent=True, resident="1")
    await staff_app.http.get("/api/staff/bookings")
    await staff_app.http.get("/api/staff/bookings", headers={"Authorization": "Bearer nope"})
    assert await staff_app.audit() == []

"""A caseworker moves a booking to another free slot: the API (SQLite and PostgreSQL), the
dashboard's form, and what the resident and the caseworkers receive (a real SMTP server and
a webhook receiver on 127.0.0.1, fed by the app's own outbox worker)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.outbox.helpers import eventually, free_port, serving
from tests.outbox.test_email_target import Inbox, smtp_server
from tests.staff.conftest import EVERY_DAY, NOTIFY, StaffApp
from tests.staff.test_dashboard import Browser
from tests.webhook.test_widget_api import GENEROUS, connect, running
from webhook.settings import Settings
from webhook.staff.members import add_staff
from webhook.tables import bookings


async def free_slot(app: StaffApp, *, mode: str = "office", skip: int = 0) -> dict[str, Any]:
    """A free slot from tomorrow on (the notice time cannot catch up while a test runs)."""
    response = await app.get("/slots")
    assert response.status_code == 200, response.text
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    found = [
        slot
        for slot in response.json()
        if slot["mode"] == mode
        and slot["booked"] == 0
        and not slot["closed"]
        and datetime.fromisoformat(slot["starts_at"]) > tomorrow
    ]
    return dict(found[skip])


async def slot_of(app: StaffApp, slot_id: int) -> dict[str, Any]:
    response = await app.get("/slots")
    return next(dict(slot) for slot in response.json() if slot["id"] == slot_id)


async def stored(app: StaffApp, reference: str) -> Any:
    async with app.db.connect() as connection:
        query = select(bookings).where(bookings.c.reference == reference)
        return (await connection.execute(query)).one()


# -- the API --------------------------------------------------------------------------------


async def test_a_move_frees_the_old_slot_and_takes_the_new_one(any_staff_app: StaffApp) -> None:
    app = any_staff_app
    reference = await app.book_direct(name="Piet", urgent=True, resident="1")
    old = (await stored(app, reference)).slot_id
    target = await free_slot(app)

    response = await app.post(f"/bookings/{reference}/move", {"slot_id": target["id"]})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["reference"] == reference and body["status"] == "active"
    assert datetime.fromisoformat(body["starts_at"]) == datetime.fromisoformat(target["starts_at"])
    row = await stored(app, reference)
    assert (row.slot_id, row.sequence) == (target["id"], 1)
    assert (await slot_of(app, old))["booked"] == 0
    assert (await slot_of(app, target["id"]))["booked"] == 1
    assert (app.anna.member.id, "move_booking", f"booking:{reference}") in await app.audit()
    assert await app.outbox_events(reference) == ["booking.created", "booking.rescheduled"]


async def test_two_caseworkers_moving_into_the_last_place_one_wins(
    any_staff_app: StaffApp,
) -> None:
    app = any_staff_app
    bert = await app.add_staff("Bert")
    first = await app.book_direct(name="Piet", urgent=True, resident="1")
    second = await app.book_direct(name="Joke", urgent=False, resident="2")
    target = await free_slot(app)  # capacity 1: its only place is the last one

    answers = await asyncio.gather(
        app.post(f"/bookings/{first}/move", {"slot_id": target["id"]}),
        app.post(f"/bookings/{second}/move", {"slot_id": target["id"]}, token=bert.token),
    )

    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    lost = next(a for a in answers if a.status_code == 409)
    assert lost.json()["error"] == "slot_full"
    assert (await slot_of(app, target["id"]))["booked"] == 1
    moved = [(await stored(app, r)).slot_id == target["id"] for r in (first, second)]
    assert sorted(moved) == [False, True]
    for reference in (first, second):  # the loser's booking and slot are as they were
        row = await stored(app, reference)
        assert (await slot_of(app, row.slot_id))["booked"] == 1


async def test_refusals(staff_app: StaffApp) -> None:
    app = staff_app
    reference = await app.book_direct(name="Piet", urgent=True, resident="1")
    taken = await app.book_direct(name="Joke", urgent=True, resident="2")
    full = (await stored(app, taken)).slot_id
    phone = await free_slot(app, mode="phone")
    closing = await free_slot(app, skip=1)
    day = datetime.fromisoformat(closing["starts_at"])
    closed = await app.post(
        "/slots/close", {"from": day.isoformat(), "to": closing["ends_at"], "mode": "office"}
    )
    assert closed.status_code == 200, closed.text
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    added = await app.post("/slots", {"starts_at": soon.isoformat(), "mode": "office"})
    assert added.status_code == 201, added.text
    before = await app.audit()

    cases = [
        (reference, {"slot_id": full}, 409, "slot_full"),
        (reference, {"slot_id": closing["id"]}, 409, "slot_closed"),
        (reference, {"slot_id": added.json()["id"]}, 409, "too_soon"),
        (reference, {"slot_id": phone["id"]}, 422, "other_mode"),
        (reference, {"slot_id": 2_000_000}, 422, "unknown_slot"),
        ("WA-ZZZZ", {"slot_id": phone["id"]}, 404, "unknown_booking"),
    ]
    for ref, body, status, code in cases:
        response = await app.post(f"/bookings/{ref}/move", body)
        assert (response.status_code, response.json()["error"]) == (status, code), body
    for body in [{}, {"slot_id": "x"}, {"slot_id": 0}, {"slot_id": 1, "when": "now"}, None]:
        response = await app.post(f"/bookings/{reference}/move", body)
        assert response.status_code == 422, body
    assert (await stored(app, reference)).sequence == 0  # nothing moved, nothing audited
    assert await app.audit() == before

    cancelled = await app.post(f"/bookings/{taken}/outcome", {"outcome": "cancelled"})
    assert cancelled.status_code == 200
    target = await free_slot(app)
    response = await app.post(f"/bookings/{taken}/move", {"slot_id": target["id"]})
    assert (response.status_code, response.json()["error"]) == (409, "not_active")


async def test_moving_to_its_own_slot_changes_nothing(staff_app: StaffApp) -> None:
    reference = await staff_app.book_direct(name="Piet", urgent=True, resident="1")
    own = (await stored(staff_app, reference)).slot_id
    response = await staff_app.post(f"/bookings/{reference}/move", {"slot_id": own})
    assert response.status_code == 200, response.text
    assert (await stored(staff_app, reference)).sequence == 0
    assert await staff_app.outbox_events(reference) == ["booking.created"]


# -- the dashboard --------------------------------------------------------------------------


async def test_the_booking_page_moves_a_booking(staff_app: StaffApp) -> None:
    app = staff_app
    reference = await app.book_direct(name="Piet", urgent=True, resident="1")
    taken = await app.book_direct(name="Joke", urgent=True, resident="2")
    target = await free_slot(app)
    phone = await free_slot(app, mode="phone")
    detail = f"/staff/bookings/{reference}"
    async with app.client() as http:
        browser = Browser(http)
        assert (await browser.login(app.anna.token)).status_code == 303
        page = await browser.page(detail)
        assert f'action="{detail}/move"' in page.text
        assert f'<option value="{target["id"]}">' in page.text
        assert f'<option value="{phone["id"]}">' not in page.text  # same mode only
        assert "<script" not in page.text and "style=" not in page.text

        full = (await stored(app, taken)).slot_id
        refused = await browser.submit(f"{detail}/move", {"slot_id": str(full)}, from_page=detail)
        assert refused.status_code == 409
        assert "Die tijd is al vol." in refused.text
        bad = await browser.submit(f"{detail}/move", {"slot_id": "abc"}, from_page=detail)
        assert bad.status_code == 422 and "Kies een nieuwe tijd." in bad.text

        done = await browser.submit(
            f"{detail}/move", {"slot_id": str(target["id"])}, from_page=detail
        )
        assert done.status_code == 303 and done.headers["location"] == f"{detail}?ok=moved"
        shown = await browser.page(done.headers["location"])
        assert "De afspraak is verplaatst." in shown.text
    assert (await stored(app, reference)).slot_id == target["id"]
    assert (app.anna.member.id, "move_booking", f"booking:{reference}") in await app.audit()


async def test_the_move_form_needs_the_csrf_token(staff_app: StaffApp) -> None:
    reference = await staff_app.book_direct(name="Piet", urgent=True, resident="1")
    target = await free_slot(staff_app)
    async with staff_app.client() as http:
        browser = Browser(http)
        assert (await browser.login(staff_app.anna.token)).status_code == 303
        for csrf in [None, "", "wrong"]:
            data = {"slot_id": str(target["id"])}
            response = await http.post(
                f"/staff/bookings/{reference}/move",
                data=data if csrf is None else {**data, "csrf": csrf},
            )
            assert response.status_code == 403
    assert (await stored(staff_app, reference)).sequence == 0


# -- what the resident and the caseworkers receive ------------------------------------------


@pytest.fixture
async def mailed_app(
    sqlite_url: str, sqlite_engine: AsyncEngine
) -> AsyncIterator[tuple[StaffApp, Inbox, list[dict[str, Any]]]]:
    """The app with SMTP (resident e-mail) and the caseworkers' webhook, both on 127.0.0.1."""
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(json.loads(await request.read()))
        return web.Response(status=204)

    receiver = web.Application()
    receiver.router.add_post("/weeraan", hook)
    port = free_port()
    async with serving(receiver) as base, smtp_server(port) as inbox:
        settings = Settings(
            database_url=sqlite_url,
            widget=GENEROUS,
            schedule=EVERY_DAY,
            notify={**NOTIFY, "webhook_url": f"{base}/weeraan"},
            smtp={"host": "127.0.0.1", "port": port, "starttls": False},
        )
        async with running(settings) as asgi, connect(asgi) as http:
            anna = await add_staff(sqlite_engine, "Anna", now=datetime.now(UTC))
            yield StaffApp(http, sqlite_engine, settings, anna, asgi), inbox, received


def calendar_of(message: Any) -> Any:
    part = next(p for p in message.iter_attachments() if p.get_content_type() == "text/calendar")
    return Calendar.from_ical(part.get_content()).walk("VEVENT")[0]


async def test_the_resident_gets_the_new_ics_and_caseworkers_the_event(
    mailed_app: tuple[StaffApp, Inbox, list[dict[str, Any]]],
) -> None:
    app, inbox, received = mailed_app
    reference = await app.book_direct(
        name="Olena", urgent=False, resident="7", locale="en", email="olena@example.nl"
    )

    async def mails(count: int) -> bool:
        return len(inbox.messages()) == count

    async def caseworkers_told() -> bool:
        return any(e.get("type") == "booking.rescheduled" for e in received)

    await eventually(lambda: mails(1), within=20)
    target = await free_slot(app)

    response = await app.post(f"/bookings/{reference}/move", {"slot_id": target["id"]})
    assert response.status_code == 200, response.text

    await eventually(lambda: mails(2), within=20)
    booked, moved = inbox.messages()
    assert moved["To"] == "olena@example.nl"
    assert moved["Subject"] == f"Your appointment has been moved ({reference})"
    first, then = calendar_of(booked), calendar_of(moved)
    assert str(then["UID"]) == str(first["UID"])
    assert int(then["SEQUENCE"]) > int(first["SEQUENCE"])
    assert then.decoded("DTSTART") == datetime.fromisoformat(target["starts_at"])
    body = moved.get_body(("plain",))
    assert body is not None and "A staff member from PLANgroep" in body.get_content()

    await eventually(caseworkers_told, within=20)
    event = next(e for e in received if e.get("type") == "booking.rescheduled")
    assert event["data"]["reference"] == reference

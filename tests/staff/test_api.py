"""The staff JSON API (PRODUCT.md §3, "Staff"), through the real app and its lifespan."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from tests.staff.conftest import StaffApp, book_via_widget, first_option, options, to_days
from webhook.booking.slots import free_slots
from webhook.tables import bookings, outbox, slots

LIST_FIELDS = {
    "reference", "starts_at", "ends_at", "mode", "status", "outcome", "urgent", "language",
    "channel", "name", "phone", "email", "reasons", "situation", "energy", "supplier",
    "created_at", "claimed_by",
}  # fmt: skip


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "message"}
    assert body["message"]
    if code is not None:
        assert body["error"] == code, body


def has_offset(text: str) -> bool:
    return datetime.fromisoformat(text).utcoffset() is not None


async def slot_of(app: StaffApp, reference: str) -> Any:
    async with app.db.connect() as connection:
        return (
            await connection.execute(
                select(slots)
                .join(bookings, bookings.c.slot_id == slots.c.id)
                .where(bookings.c.reference == reference)
            )
        ).one()


# -- the whole flow, on SQLite and PostgreSQL -----------------------------------------------


async def test_a_caseworker_sees_claims_cancels_and_the_slot_is_booked_again(
    any_staff_app: StaffApp,
) -> None:
    app = any_staff_app
    bert = await app.add_staff("Bert")
    reference = await book_via_widget(app.http, name="Fatima de Vries", phone="06 12345678")
    plain = await app.book_direct(name="Piet Smit", urgent=False, resident="101")

    # The list: PRODUCT.md's fields and the caseworker's, urgent first.
    response = await app.get("/bookings")
    assert response.status_code == 200, response.text
    listed = response.json()
    assert [b["reference"] for b in listed] == [reference, plain]
    first = listed[0]
    assert set(first) >= LIST_FIELDS
    assert first["name"] == "Fatima de Vries"
    assert first["phone"] == "+31612345678"
    assert first["email"] is None
    assert first["mode"] == "office"
    assert first["status"] == "active"
    assert first["outcome"] == "eligible"
    assert first["urgent"] is True
    assert first["language"] == "nl"
    assert first["channel"] == "widget"
    assert first["situation"] == "cut_off"
    assert first["energy"] == "gas"
    assert first["supplier"] == "vattenfall"
    assert "cut_off" in first["reasons"]
    assert first["claimed_by"] is None
    assert has_offset(first["starts_at"])
    assert has_offset(first["created_at"])
    assert listed[1]["urgent"] is False

    # The detail, with the reasons in Dutch words.
    detail = (await app.get(f"/bookings/{reference}")).json()
    assert detail["reference"] == reference
    assert detail["address"] == "Voorbeeldstraat 1, Almere"
    assert "Uw energie is afgesloten." in detail["reason_texts"]

    # Claims: the first caseworker wins, the second hears who has it.
    claimed = await app.post(f"/bookings/{reference}/claim")
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["claimed_by"] == "Anna"
    late = await app.post(f"/bookings/{reference}/claim", token=bert.token)
    assert_error(late, 409, "already_claimed")
    assert "Anna" in late.json()["message"]
    assert (await app.post(f"/bookings/{reference}/claim")).status_code == 200

    # Cancelled: the slot is free at once and everyone is told.
    slot = await slot_of(app, reference)
    assert slot.booked == 1
    cancelled = await app.post(f"/bookings/{reference}/outcome", {"outcome": "cancelled"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert (await slot_of(app, reference)).booked == 0
    assert (await app.outbox_events(reference)).count("booking.cancelled") >= 1

    # Another resident is offered that very slot and books it.
    local_day = datetime.fromisoformat(first["starts_at"]).date()
    chat, days = await to_days(app.http)
    assert f"day:{local_day.isoformat()}" in options(days)
    times = await chat.send(option=f"day:{local_day.isoformat()}")
    assert f"slot:{slot.id}" in options(times)
    await chat.send(option=f"slot:{slot.id}")
    await chat.send(text="Jan Jansen")
    await chat.send(text="0612345670")
    await chat.send(option="email:skip")
    await chat.send(option="summary:confirm")
    again = (await app.get("/bookings", status="active")).json()
    second = next(b for b in again if b["name"] == "Jan Jansen")
    assert second["starts_at"] == first["starts_at"]
    assert (await slot_of(app, second["reference"])).booked == 1

    # Attended only sets the status; the place stays taken.
    attended = await app.post(f"/bookings/{second['reference']}/outcome", {"outcome": "attended"})
    assert attended.json()["status"] == "attended"
    assert (await slot_of(app, second["reference"])).booked == 1

    # Every view and every change has its audit row, with who and what.
    rows = await app.audit()
    anna = app.anna.member.id
    assert (anna, "list_bookings", "bookings:list") in rows
    assert (anna, "view_booking", f"booking:{reference}") in rows
    assert (anna, "claim_booking", f"booking:{reference}") in rows
    assert (anna, "set_outcome", f"booking:{reference}") in rows
    assert (anna, "set_outcome", f"booking:{second['reference']}") in rows
    assert all(row[0] != bert.member.id for row in rows)  # the refused claim showed nothing


async def test_slots_added_and_closed_on_each_database(any_staff_app: StaffApp) -> None:
    app = any_staff_app
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).astimezone(app.config.zone).date()
    starts = f"{tomorrow.isoformat()}T20:30:00+01:00"
    added = await app.post("/slots", {"starts_at": starts, "mode": "phone", "capacity": 2})
    assert added.status_code == 201, added.text
    assert added.json()["capacity"] == 2
    assert added.json()["source"] == "adhoc"
    closed = await app.post(
        "/slots/close", {"from": starts, "to": f"{tomorrow.isoformat()}T21:00:00+01:00"}
    )
    assert closed.json() == {"closed": 1}
    listed = (await app.get("/slots", **{"from": tomorrow.isoformat()})).json()
    (mine,) = [s for s in listed if s["id"] == added.json()["id"]]
    assert mine["closed"] is True


# -- outcomes -------------------------------------------------------------------------------


class TestOutcome:
    async def test_attended_and_no_show_correct_each_other(self, staff_app: StaffApp) -> None:
        reference = await staff_app.book_direct(name="Piet", urgent=True, resident="1")
        for outcome in ["no_show", "attended", "attended"]:
            response = await staff_app.post(f"/bookings/{reference}/outcome", {"outcome": outcome})
            assert response.status_code == 200, response.text
            assert response.json()["status"] == outcome

    async def test_a_cancelled_booking_stays_cancelled(self, staff_app: StaffApp) -> None:
        reference = await staff_app.book_direct(name="Piet", urgent=True, resident="1")
        path = f"/bookings/{reference}/outcome"
        assert (await staff_app.post(path, {"outcome": "cancelled"})).status_code == 200
        again = await staff_app.post(path, {"outcome": "cancelled"})
        assert again.status_code == 200  # the same outcome twice changes nothing
        assert (await slot_of(staff_app, reference)).booked == 0
        assert_error(await staff_app.post(path, {"outcome": "attended"}), 409, "not_active")
        assert (await staff_app.outbox_events(reference)).count("booking.cancelled") == 1

    async def test_an_attended_booking_cannot_be_cancelled(self, staff_app: StaffApp) -> None:
        reference = await staff_app.book_direct(name="Piet", urgent=True, resident="1")
        path = f"/bookings/{reference}/outcome"
        await staff_app.post(path, {"outcome": "attended"})
        assert_error(await staff_app.post(path, {"outcome": "cancelled"}), 409, "not_active")
        assert (await slot_of(staff_app, reference)).booked == 1

    @pytest.mark.parametrize(
        "body", [{"outcome": "gone"}, {}, {"outcome": "attended", "extra": 1}, {"outcome": None}]
    )
    async def test_invalid_bodies_are_422(self, staff_app: StaffApp, body: dict[str, Any]) -> None:
        reference = await staff_app.book_direct(name="Piet", urgent=True, resident="1")
        response = await staff_app.post(f"/bookings/{reference}/outcome", body)
        assert_error(response, 422, "invalid_body")

    async def test_unknown_references_are_404(self, staff_app: StaffApp) -> None:
        assert_error(await staff_app.get("/bookings/WA-2222"), 404, "unknown_booking")
        response = await staff_app.post("/bookings/WA-2222/outcome", {"outcome": "attended"})
        assert_error(response, 404, "unknown_booking")
        assert_error(await staff_app.post("/bookings/WA-2222/claim"), 404, "unknown_booking")
        assert await staff_app.audit() == []


# -- listing and filters --------------------------------------------------------------------


class TestList:
    async def test_urgent_first_then_by_time(self, staff_app: StaffApp) -> None:
        late_urgent = await staff_app.book_direct(name="A", urgent=True, resident="1", slot_index=5)
        early_plain = await staff_app.book_direct(
            name="B", urgent=False, resident="2", slot_index=0
        )
        early_urgent = await staff_app.book_direct(
            name="C", urgent=True, resident="3", slot_index=0
        )
        late_plain = await staff_app.book_direct(name="D", urgent=False, resident="4", slot_index=2)
        listed = (await staff_app.get("/bookings")).json()
        assert [b["reference"] for b in listed] == [
            early_urgent,
            late_urgent,
            early_plain,
            late_plain,
        ]

    async def test_filters_by_status_and_dates(self, staff_app: StaffApp) -> None:
        first = await staff_app.book_direct(name="A", urgent=True, resident="1")
        second = await staff_app.book_direct(name="B", urgent=True, resident="2")
        await staff_app.post(f"/bookings/{second}/outcome", {"outcome": "cancelled"})
        active = (await staff_app.get("/bookings", status="active")).json()
        assert [b["reference"] for b in active] == [first]
        cancelled = (await staff_app.get("/bookings", status="cancelled")).json()
        assert [b["reference"] for b in cancelled] == [second]

        day = datetime.fromisoformat(active[0]["starts_at"]).date()
        same_day = await staff_app.get("/bookings", **{"from": str(day), "to": str(day)})
        assert {b["reference"] for b in same_day.json()} >= {first}
        before = day - timedelta(days=1)
        assert (await staff_app.get("/bookings", to=str(before))).json() == []
        after = day + timedelta(days=60)
        assert (await staff_app.get("/bookings", **{"from": str(after)})).json() == []

    @pytest.mark.parametrize(
        "params",
        [
            {"status": "gone"},
            {"from": "yesterday"},
            {"to": "2026-13-01"},
            {"from": "2026-12-02", "to": "2026-12-01"},
        ],
    )
    async def test_bad_filters_are_422(self, staff_app: StaffApp, params: dict[str, str]) -> None:
        assert_error(await staff_app.get("/bookings", **params), 422, "invalid_body")
        assert_error(await staff_app.get("/bookings.csv", **params), 422, "invalid_body")


# -- claims ---------------------------------------------------------------------------------


async def test_concurrent_claims_have_one_winner(staff_app: StaffApp) -> None:
    reference = await staff_app.book_direct(name="Piet", urgent=True, resident="1")
    others = [await staff_app.add_staff(f"Collega {n}") for n in range(6)]
    answers = await asyncio.gather(
        *(staff_app.post(f"/bookings/{reference}/claim", token=o.token) for o in others)
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409, 409, 409, 409, 409]
    winner = next(a for a in answers if a.status_code == 200).json()["claimed_by"]
    assert all(winner in a.json()["message"] for a in answers if a.status_code == 409)


# -- call-back requests ---------------------------------------------------------------------


async def test_callbacks_are_listed_urgent_first_claimed_and_done(staff_app: StaffApp) -> None:
    bert = await staff_app.add_staff("Bert")
    await staff_app.request_callback(resident="1", urgent=False, phone="+31611111111")
    await staff_app.request_callback(resident="2", urgent=True, phone="+31622222222")
    listed = (await staff_app.get("/callbacks")).json()
    assert [c["phone"] for c in listed] == ["+31622222222", "+31611111111"]
    urgent = listed[0]
    assert urgent["urgent"] is True
    assert urgent["status"] == "open"
    assert urgent["part_of_day"] == "morning"
    assert urgent["outcome"] == "eligible"
    assert urgent["reasons"] == ["lives_in_almere", "cut_off"]
    assert (urgent["situation"], urgent["energy"], urgent["supplier"]) == (
        "cut_off",
        "both",
        "vattenfall",
    )
    assert has_offset(urgent["created_at"])

    path = f"/callbacks/{urgent['id']}"
    claimed = await staff_app.post(f"{path}/claim")
    assert claimed.json()["claimed_by"] == "Anna"
    assert_error(await staff_app.post(f"{path}/claim", token=bert.token), 409, "already_claimed")
    done = await staff_app.post(f"{path}/done")
    assert done.json()["status"] == "done"
    assert (await staff_app.post(f"{path}/done")).status_code == 200  # twice is fine
    left = (await staff_app.get("/callbacks")).json()
    assert [c["phone"] for c in left] == ["+31611111111"]
    assert_error(await staff_app.post("/callbacks/999/claim"), 404, "unknown_callback")
    assert_error(await staff_app.post("/callbacks/999/done"), 404, "unknown_callback")

    anna = staff_app.anna.member.id
    rows = await staff_app.audit()
    assert rows.count((anna, "list_callbacks", "callbacks:list")) == 2
    assert (anna, "claim_callback", f"callback:{urgent['id']}") in rows
    assert rows.count((anna, "callback_done", f"callback:{urgent['id']}")) == 2


# -- slots ----------------------------------------------------------------------------------


class TestSlots:
    async def test_the_list_shows_capacity_bookings_and_closures(self, staff_app: StaffApp) -> None:
        reference = await staff_app.book_direct(name="Piet", urgent=True, resident="1")
        listed = (await staff_app.get("/slots")).json()
        assert listed
        assert set(listed[0]) == {
            "id", "starts_at", "ends_at", "mode", "capacity", "booked", "closed", "source"
        }  # fmt: skip
        slot = await slot_of(staff_app, reference)
        (mine,) = [s for s in listed if s["id"] == slot.id]
        assert (mine["booked"], mine["capacity"], mine["closed"]) == (1, 1, False)
        assert has_offset(mine["starts_at"])
        days = {datetime.fromisoformat(s["starts_at"]).date() for s in listed}
        assert len(days) <= 14

    async def test_an_added_slot_is_offered_to_residents(self, staff_app: StaffApp) -> None:
        zone = staff_app.config.zone
        day = (datetime.now(zone) + timedelta(days=2)).date()
        starts = datetime(day.year, day.month, day.day, 7, 15, tzinfo=zone)  # before the rest
        response = await staff_app.post(
            "/slots", {"starts_at": starts.isoformat(), "minutes": 30, "mode": "office"}
        )
        assert response.status_code == 201, response.text
        slot = response.json()
        assert datetime.fromisoformat(slot["ends_at"]) - starts == timedelta(minutes=30)
        assert (slot["capacity"], slot["booked"], slot["closed"]) == (1, 0, False)
        assert (await staff_app.audit())[-1] == (
            staff_app.anna.member.id,
            "add_slot",
            f"slot:{slot['id']}",
        )
        chat, _ = await to_days(staff_app.http, urgent=False)
        times = await chat.send(option=f"day:{day.isoformat()}")
        assert f"slot:{slot['id']}" in options(times)

    async def test_a_closed_period_is_no_longer_offered(self, staff_app: StaffApp) -> None:
        _, days = await to_days(staff_app.http)
        day = first_option(days, "day:").removeprefix("day:")
        zone = staff_app.config.zone
        start = datetime.fromisoformat(day).replace(tzinfo=zone)
        body = {
            "from": start.isoformat(),
            "to": (start + timedelta(days=1)).isoformat(),
            "mode": "office",
        }
        response = await staff_app.post("/slots/close", body)
        assert response.status_code == 200, response.text
        assert response.json()["closed"] >= 1
        _, days_after = await to_days(staff_app.http)
        assert f"day:{day}" not in options(days_after)
        async with staff_app.db.connect() as connection:
            offers = await free_slots(
                connection, staff_app.config, mode="office", now=datetime.now(UTC), urgent=False
            )
        assert all(offer.starts_at.date().isoformat() != day for offer in offers)
        _, phone_days = await to_days(staff_app.http, mode="phone")
        assert f"day:{day}" in options(phone_days)  # only the office was closed

    @pytest.mark.parametrize(
        "body",
        [
            {"starts_at": "2030-01-01T10:00:00", "mode": "office"},  # no offset
            {"starts_at": "2020-01-01T10:00:00+01:00", "mode": "office"},  # past
            {"starts_at": "2030-01-01T10:00:00+01:00", "mode": "video"},
            {"starts_at": "2030-01-01T10:00:00+01:00", "mode": "office", "capacity": 0},
            {"starts_at": "2030-01-01T10:00:00+01:00", "mode": "office", "minutes": 5},
        ],
    )
    async def test_invalid_slots_are_422(self, staff_app: StaffApp, body: dict[str, Any]) -> None:
        assert_error(await staff_app.post("/slots", body), 422, "invalid_body")

    @pytest.mark.parametrize(
        "body",
        [
            {"from": "2030-01-02T00:00:00+01:00", "to": "2030-01-01T00:00:00+01:00"},
            {"from": "2030-01-01T00:00:00", "to": "2030-01-02T00:00:00"},
            {"from": "2030-01-01T00:00:00+01:00"},
            {"from": "2030-01-01T00:00:00+01:00", "to": "2032-01-01T00:00:00+01:00"},
        ],
    )
    async def test_invalid_closures_are_422(
        self, staff_app: StaffApp, body: dict[str, Any]
    ) -> None:
        assert_error(await staff_app.post("/slots/close", body), 422, "invalid_body")

    async def test_capacity_below_the_bookings_is_a_conflict(self, staff_app: StaffApp) -> None:
        reference = await staff_app.book_direct(name="Piet", urgent=True, resident="1")
        booking = (await staff_app.get(f"/bookings/{reference}")).json()
        slot = await slot_of(staff_app, reference)
        starts = {"starts_at": booking["starts_at"], "mode": "office", "capacity": 3}
        assert (await staff_app.post("/slots", starts)).status_code == 201
        await staff_app.book_direct(name="Jan", urgent=True, resident="2", slot_id=slot.id)
        assert (await slot_of(staff_app, reference)).booked == 2
        response = await staff_app.post("/slots", {**starts, "capacity": 1})
        assert_error(response, 409, "capacity_too_low")
        assert (await slot_of(staff_app, reference)).capacity == 3


# -- dead notifications ---------------------------------------------------------------------


async def test_dead_notifications_are_listed_without_payload(staff_app: StaffApp) -> None:
    reference = await staff_app.book_direct(name="Piet Geheim", urgent=True, resident="1")
    async with staff_app.db.begin() as connection:
        await connection.execute(
            update(outbox)
            .where(outbox.c.event == "booking.created")
            .values(status="dead", attempts=8, last_error="HTTP 500")
        )
        ids = list(
            (
                await connection.execute(select(outbox.c.id).where(outbox.c.status == "dead"))
            ).scalars()
        )
    assert ids
    response = await staff_app.get("/notifications/dead")
    assert response.status_code == 200
    listed = response.json()
    assert sorted(n["id"] for n in listed) == sorted(ids)
    for item in listed:
        assert set(item) == {"id", "event", "target", "attempts", "last_error", "created_at"}
        assert item["event"] == "booking.created"
        assert item["attempts"] == 8
        assert item["last_error"] == "HTTP 500"
    assert "Piet Geheim" not in response.text
    assert reference not in response.text


# -- CSV ------------------------------------------------------------------------------------


async def test_the_csv_export_has_the_same_bookings_and_fields(staff_app: StaffApp) -> None:
    await staff_app.book_direct(name='=HYPERLINK("http://x")', urgent=False, resident="1")
    await staff_app.book_direct(name='Fatima, "Fa" de Vries', urgent=True, resident="2")
    listed = (await staff_app.get("/bookings")).json()
    response = await staff_app.get("/bookings.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == list(listed[0])
    assert [r["reference"] for r in rows] == [b["reference"] for b in listed]
    assert rows[0]["name"] == 'Fatima, "Fa" de Vries'
    assert rows[0]["phone"] == "+31612345678"  # a phone number is not a formula
    assert rows[0]["urgent"] == "true"
    assert rows[0]["reasons"] == "lives_in_almere cut_off"
    assert rows[1]["name"] == '\'=HYPERLINK("http://x")'  # defused for spreadsheets
    assert rows[0]["starts_at"] == listed[0]["starts_at"]
    assert (staff_app.anna.member.id, "export_csv", "bookings:csv") in await staff_app.audit()


# -- audit ----------------------------------------------------------------------------------


async def test_each_view_of_personal_data_writes_one_audit_row(staff_app: StaffApp) -> None:
    reference = await staff_app.book_direct(name="Piet", urgent=True, resident="1")
    anna = staff_app.anna.member.id
    views = [
        (staff_app.get("/bookings"), ("list_bookings", "bookings:list")),
        (staff_app.get(f"/bookings/{reference}"), ("view_booking", f"booking:{reference}")),
        (staff_app.get("/bookings.csv"), ("export_csv", "bookings:csv")),
        (staff_app.get("/callbacks"), ("list_callbacks", "callbacks:list")),
    ]
    for call, (action, subject) in views:
        before = await staff_app.audit()
        assert (await call).status_code == 200
        after = await staff_app.audit()
        assert after[len(before) :] == [(anna, action, subject)]
    # Slots and dead notifications hold no personal data: no row.
    before = await staff_app.audit()
    await staff_app.get("/slots")
    await staff_app.get("/notifications/dead")
    assert await staff_app.audit() == before


# -- OpenAPI --------------------------------------------------------------------------------


async def test_openapi_documents_the_staff_routes(staff_app: StaffApp) -> None:
    spec = (await staff_app.http.get("/openapi.json")).json()
    staff_paths = {
        (path, method): operation
        for path, operations in spec["paths"].items()
        if path.startswith("/api/staff")
        for method, operation in operations.items()
    }
    assert set(staff_paths) == {
        ("/api/staff/bookings", "get"),
        ("/api/staff/bookings.csv", "get"),
        ("/api/staff/bookings/{reference}", "get"),
        ("/api/staff/bookings/{reference}/outcome", "post"),
        ("/api/staff/bookings/{reference}/claim", "post"),
        ("/api/staff/bookings/{reference}/move", "post"),
        ("/api/staff/callbacks", "get"),
        ("/api/staff/callbacks/{callback_id}/claim", "post"),
        ("/api/staff/callbacks/{callback_id}/done", "post"),
        ("/api/staff/slots", "get"),
        ("/api/staff/slots", "post"),
        ("/api/staff/slots/close", "post"),
        ("/api/staff/notifications/dead", "get"),
        ("/api/staff/residents/erase", "post"),
    }
    for (path, method), operation in staff_paths.items():
        assert operation["tags"] == ["staff"], path
        assert operation.get("security"), (path, method)
        error = operation["responses"]["401"]["content"]["application/json"]["schema"]
        assert error["$ref"].endswith("/ErrorBody"), (path, method)
    booking = spec["components"]["schemas"]["BookingOut"]
    assert set(booking["properties"]) == LIST_FIELDS
    outcome = staff_paths[("/api/staff/bookings/{reference}/outcome", "post")]
    assert {"404", "409", "422"} <= set(outcome["responses"])
    assert not any(path.startswith("/staff") for path in spec["paths"])  # HTML stays out

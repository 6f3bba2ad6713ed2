"""Erasure by a caseworker (API and dashboard) and by the resident (widget DELETE), on SQLite
and PostgreSQL: conversation gone, bookings anonymised and cancelled, notifications scrubbed."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.retention.test_purge import count, has_conversation, talk
from tests.staff.conftest import SESSIONS, StaffApp, first_option, later_day, to_days
from tests.staff.test_dashboard import Browser
from webhook.outbox.erasure import ERASED
from webhook.tables import audit_log, bookings, callback_requests, outbox, slots

ERASE = "/residents/erase"


def opened(app: StaffApp, raw: str) -> dict[str, Any]:
    vault = getattr(app.asgi.state.components.booking, "vault", None)
    text = vault.open_text(raw) if vault is not None else raw
    value = json.loads(text)
    assert isinstance(value, dict)
    return value


async def outbox_rows(app: StaffApp) -> list[tuple[str, dict[str, Any]]]:
    async with app.db.connect() as connection:
        rows = (await connection.execute(select(outbox.c.target, outbox.c.payload))).all()
    return [(row.target, opened(app, row.payload)) for row in rows]


async def resident_row(db: AsyncEngine, reference: str, *, target: str, chat: str = "") -> None:
    """A notification to the resident, still pending (as if resident e-mail were set up)."""
    payload = {"event": "booking.reminder", "reference": reference, "to": "jan@example.nl"}
    if chat:
        payload = {"event": "booking.reminder", "reference": "WA-OTHR", "chat_id": chat}
    now = datetime.now(UTC)
    async with db.begin() as connection:
        await connection.execute(
            outbox.insert().values(
                message_id=f"msg_{uuid.uuid4().hex}",
                event="booking.reminder",
                target=target,
                payload=json.dumps(payload),
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )


async def booking_row(db: AsyncEngine, reference: str) -> Any:
    async with db.connect() as connection:
        return (
            await connection.execute(select(bookings).where(bookings.c.reference == reference))
        ).one()


async def booked_in_slot(db: AsyncEngine, slot_id: int) -> int:
    async with db.connect() as connection:
        return int(
            await connection.scalar(select(slots.c.booked).where(slots.c.id == slot_id)) or 0
        )


class TestStaffApi:
    async def test_erases_the_resident_of_a_booking(self, any_staff_app: StaffApp) -> None:
        app = any_staff_app
        reference = await app.book_direct(
            name="Jan Jansen", urgent=True, resident="5551", email="jan@example.nl"
        )
        other = await app.book_direct(name="Piet Pieters", urgent=False, resident="5552")
        await talk(app.db, "telegram", "5551")
        await app.request_callback(resident="5551", urgent=True, phone="0612121212")
        await resident_row(app.db, reference, target="resident_email")
        await resident_row(app.db, reference, target="resident_telegram", chat="5551")
        slot_id = (await booking_row(app.db, reference)).slot_id
        assert await booked_in_slot(app.db, slot_id) == 1

        response = await app.post(ERASE, {"reference": reference.lower()})
        assert response.status_code == 200, response.text
        assert response.json() == {"subject": f"booking:{reference}", "already_erased": False}

        assert not await has_conversation(app.db, "telegram", "5551")
        assert (
            await count(app.db, callback_requests, callback_requests.c.external_id == "5551") == 0
        )
        row = await booking_row(app.db, reference)
        assert row.status == "cancelled"
        assert (row.name, row.phone, row.email, row.external_id) == (ERASED, ERASED, None, ERASED)
        assert (row.outcome, row.urgent) == ("eligible", True)
        assert await booked_in_slot(app.db, slot_id) == 0
        rows = await outbox_rows(app)
        said = json.dumps([payload for _, payload in rows])
        assert "Jan Jansen" not in said and "jan@example.nl" not in said
        assert "0612121212" not in said and "+31612345678" not in {
            payload.get("phone") for _, payload in rows if payload.get("reference") == reference
        }
        assert not [t for t, p in rows if t.startswith("resident_") and p.get("chat_id") == "5551"]
        mine = [(t, p) for t, p in rows if p.get("reference") == reference]
        assert {p["event"] for _, p in mine} == {"booking.created", "booking.cancelled"}
        assert all(t.startswith("staff_") for t, _ in mine)
        assert all(p["name"] == ERASED and p["phone"] == ERASED for _, p in mine)
        assert "Piet Pieters" in said  # another resident's notifications are untouched
        assert (await booking_row(app.db, other)).name != ERASED
        assert (app.anna.member.id, "erase_resident", f"booking:{reference}") in await app.audit()

        again = await app.post(ERASE, {"reference": reference})
        assert again.status_code == 200
        assert again.json()["already_erased"] is True

    async def test_erases_the_resident_of_a_callback(self, any_staff_app: StaffApp) -> None:
        app = any_staff_app
        await app.request_callback(resident="6661", urgent=True, phone="0687654321")
        await talk(app.db, "telegram", "6661")
        async with app.db.connect() as connection:
            callback_id = await connection.scalar(select(func.max(callback_requests.c.id)))
        response = await app.post(ERASE, {"callback_id": callback_id})
        assert response.status_code == 200, response.text
        assert await count(app.db, callback_requests) == 0
        assert not await has_conversation(app.db, "telegram", "6661")
        said = json.dumps([payload for _, payload in await outbox_rows(app)])
        assert "0687654321" not in said
        assert (
            app.anna.member.id,
            "erase_resident",
            f"callback:{callback_id}",
        ) in await app.audit()

    async def test_unknown_missing_and_unauthorised(self, any_staff_app: StaffApp) -> None:
        app = any_staff_app
        unknown = await app.post(ERASE, {"reference": "WA-ZZZZ"})
        assert unknown.status_code == 404
        assert unknown.json()["error"] == "unknown_booking"
        assert (await app.post(ERASE, {"callback_id": 999})).status_code == 404
        assert (await app.post(ERASE, {})).status_code == 422
        both = {"reference": "WA-ZZZZ", "callback_id": 1}
        assert (await app.post(ERASE, both)).status_code == 422
        anonymous = await app.http.post(f"/api/staff{ERASE}", json={"reference": "WA-ZZZZ"})
        assert anonymous.status_code == 401
        wrong = await app.post(ERASE, {"reference": "WA-ZZZZ"}, token="not-a-token")
        assert wrong.status_code == 401
        async with app.db.connect() as connection:
            actions = (await connection.scalars(select(audit_log.c.action))).all()
        assert "erase_resident" not in actions


class TestDashboard:
    async def test_the_button_needs_confirmation_and_the_csrf_token(
        self, logged_in: Browser, staff_app: StaffApp
    ) -> None:
        reference = await staff_app.book_direct(name="Jan Jansen", urgent=True, resident="7771")
        detail = f"/staff/bookings/{reference}"
        page = await logged_in.page(detail)
        assert f'action="{detail}/erase"' in page.text
        for csrf in [None, "", "wrong"]:
            data = {"confirm": "yes"} if csrf is None else {"confirm": "yes", "csrf": csrf}
            refused = await logged_in.http.post(f"{detail}/erase", data=data)
            assert refused.status_code == 403
        unconfirmed = await logged_in.submit(f"{detail}/erase", {}, from_page=detail)
        assert unconfirmed.status_code == 422
        assert (await booking_row(staff_app.db, reference)).name != ERASED

        done = await logged_in.submit(f"{detail}/erase", {"confirm": "yes"}, from_page=detail)
        assert done.status_code == 303
        assert done.headers["location"] == f"{detail}?ok=erased"
        row = await booking_row(staff_app.db, reference)
        assert (row.name, row.status) == (ERASED, "cancelled")
        after = await logged_in.page(done.headers["location"])
        assert "zijn gewist" in after.text
        assert f'action="{detail}/erase"' not in after.text
        assert (staff_app.anna.member.id, "erase_resident", f"booking:{reference}") in (
            await staff_app.audit()
        )


async def test_widget_delete_scrubs_pending_notifications(any_staff_app: StaffApp) -> None:
    """The resident's own erasure (widget DELETE) takes the same outbox rule."""
    app = any_staff_app
    chat, days = await to_days(app.http)
    times = await chat.send(option=later_day(days))
    await chat.send(option=first_option(times, "slot:"))
    await chat.send(text="Karin Kok")
    await chat.send(text="06 11223344")
    await chat.send(option="email:skip")
    await chat.send(option="summary:confirm")
    async with app.db.connect() as connection:
        reference = await connection.scalar(
            select(bookings.c.reference).where(bookings.c.external_id == chat.session_id)
        )
    assert reference
    await resident_row(app.db, reference, target="resident_email")
    assert "Karin Kok" in json.dumps([p for _, p in await outbox_rows(app)])

    response = await app.http.delete(
        f"{SESSIONS}/{chat.session_id}", headers={"Authorization": f"Bearer {chat.token}"}
    )
    assert response.status_code == 204
    rows = await outbox_rows(app)
    said = json.dumps([payload for _, payload in rows])
    assert "Karin Kok" not in said and "11223344" not in said and "jan@example.nl" not in said
    mine = [p for _, p in rows if p.get("reference") == reference]
    assert {p["event"] for p in mine} == {"booking.created", "booking.cancelled"}
    assert all(p["name"] == ERASED for p in mine)
    row = await booking_row(app.db, reference)
    assert (row.status, row.name) == ("cancelled", ERASED)

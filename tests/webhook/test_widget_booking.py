"""Booking an intake over the widget API: the calendar file, cancel, and a slot taken meanwhile."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from tests.webhook.test_widget_api import GENEROUS, connect, running
from tests.widget_paths import OFFICE, PREVENTION
from webhook.settings import Settings

TO_BOOKING = [*PREVENTION, OFFICE]
EVERY_DAY = {
    "days": "mon,tue,wed,thu,fri,sat,sun",
    "hours": "08:00-20:00",
    "intake_minutes": 60,
    "office_address": "Voorbeeldplein 2",
    "capacity": 1,
}


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Both databases; PostgreSQL's is migrated and emptied by its fixture (sync on purpose)."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_db")
        url: str = request.getfixturevalue("postgres_url")
        return url
    sqlite: str = request.getfixturevalue("sqlite_url")
    return sqlite


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=database_url, widget=GENEROUS, schedule=EVERY_DAY)
    async with running(settings) as app, connect(app) as http:
        yield http


class Resident:
    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api
        self.last: dict[str, Any] = {}

    async def start(self) -> None:
        response = await self.api.post("/api/chat/sessions", json={"locale": "nl"})
        assert response.status_code == 201
        body = response.json()
        self.session, self.token = body["session_id"], body["token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def send(self, body: dict[str, str]) -> dict[str, Any]:
        url = f"/api/chat/sessions/{self.session}/messages"
        response = await self.api.post(url, json=body, headers=self.headers)
        assert response.status_code == 200, response.text
        self.last = response.json()
        return self.last

    def options(self) -> list[str]:
        return [o["id"] for o in self.last["messages"][-1]["options"]]

    def said(self) -> str:
        return "\n".join(m["text"] for m in self.last["messages"])

    async def to_times(self) -> list[str]:
        await self.start()
        for body in TO_BOOKING:
            await self.send(body)
        days = self.options()
        await self.send({"option": days[1] if len(days) > 1 else days[0]})  # not today: its
        # first slot could pass the notice time while the test runs on the real clock
        return [o for o in self.options() if o.startswith("slot:")]

    async def finish(self, slot: str) -> dict[str, Any]:
        await self.send({"option": slot})
        await self.send({"text": "Fatima de Vries"})
        await self.send({"text": "06 12345678"})
        await self.send({"option": "email:skip"})
        return await self.send({"option": "summary:confirm"})

    async def calendar(self) -> Calendar:
        url = f"/api/chat/sessions/{self.session}/calendar.ics"
        response = await self.api.get(url, headers=self.headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/calendar")
        return Calendar.from_ical(response.content)


def _event(calendar: Calendar) -> Any:
    [event] = calendar.walk("VEVENT")
    return event


async def test_book_download_the_calendar_cancel_and_the_slot_is_free(
    api: httpx.AsyncClient,
) -> None:
    fatima = Resident(api)
    slots = await fatima.to_times()
    done = await fatima.finish(slots[0])
    assert "Uw afspraak staat vast" in fatima.said()
    assert done["ended"] is True
    assert done["calendar"] == f"/api/chat/sessions/{fatima.session}/calendar.ics"
    booked = await fatima.calendar()
    assert str(booked["METHOD"]) == "REQUEST"
    event = _event(booked)
    uid = str(event["UID"])
    assert int(event["SEQUENCE"]) == 0
    assert "Voorbeeldplein 2" in str(event["LOCATION"])

    await fatima.send({"text": "/afspraak"})
    assert fatima.options() == ["appointment:keep", "appointment:move", "appointment:cancel"]
    await fatima.send({"option": "appointment:cancel"})
    await fatima.send({"option": "cancel:yes"})
    assert "afgezegd" in fatima.said()
    cancelled = await fatima.calendar()
    assert str(cancelled["METHOD"]) == "CANCEL"
    assert str(_event(cancelled)["UID"]) == uid, "the same event, so calendars remove it"
    assert int(_event(cancelled)["SEQUENCE"]) == 1

    jan = Resident(api)
    assert slots[0] in await jan.to_times(), "the cancelled slot is offered again at once"


async def test_a_slot_taken_meanwhile_is_offered_again_kindly(api: httpx.AsyncClient) -> None:
    fatima, jan = Resident(api), Resident(api)
    fatima_slots = await fatima.to_times()
    jan_slots = await jan.to_times()
    assert fatima_slots[0] == jan_slots[0]
    await jan.finish(jan_slots[0])
    await fatima.finish(fatima_slots[0])
    assert "iemand anders koos die tijd net" in fatima.said()
    offered = fatima.options()
    assert fatima_slots[0] not in offered, "the taken slot is gone from the new offer"
    assert fatima_slots[1] in offered
    await fatima.send({"option": fatima_slots[1]})
    assert "Klopt dit?" in fatima.said(), "her name and number are not asked again"
    assert "Fatima de Vries" in fatima.said()
    await fatima.send({"option": "summary:confirm"})
    assert "Uw afspraak staat vast" in fatima.said()


async def test_no_calendar_before_a_booking(api: httpx.AsyncClient) -> None:
    fatima = Resident(api)
    await fatima.start()
    response = await api.get(
        f"/api/chat/sessions/{fatima.session}/calendar.ics", headers=fatima.headers
    )
    assert response.status_code == 404
    assert response.json()["error"] == "no_booking"
    bad = await api.get(
        f"/api/chat/sessions/{fatima.session}/calendar.ics",
        headers={"Authorization": "Bearer nope"},
    )
    assert bad.status_code == 401

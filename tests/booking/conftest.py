"""Fixtures for the booking domain: an agenda with a few slots, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.booking import BookRequest
from webhook.booking import slots
from webhook.booking.config import BookingConfig
from webhook.db import writer
from webhook.settings import ScheduleSettings
from webhook.store import SqlConversationStore

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 in Almere
CONFIG = BookingConfig(
    schedule=ScheduleSettings(
        hours=["09:00-11:00"], intake_minutes=60, office_address="Voorbeeldstraat 1"
    ),
    staff_targets=("staff_email", "staff_webhook"),
    resident_email=True,
)


def request(slot_id: int, **changes: object) -> BookRequest:
    values: dict[str, object] = {
        "slot_id": slot_id,
        "name": "Fatima de Vries",
        "phone": "+31612345678",
        "email": "fatima@example.nl",
        "locale": "nl",
        "outcome": "eligible",
        "urgent": True,
        "reasons": ("lives_in_almere", "cut_off"),
        "rule_version": "almere-2020.1",
        "situation": "cut_off",
        "energy": "gas",
        "supplier": "vattenfall",
    }
    values.update(changes)
    return BookRequest(**values)  # type: ignore[arg-type]


async def seeded(db: AsyncEngine, config: BookingConfig = CONFIG) -> SqlConversationStore:
    async with writer(db).begin() as connection:
        await slots.materialise(
            connection, config, first=NOW.date(), last=NOW.date() + timedelta(days=35), now=NOW
        )
    return SqlConversationStore(db, config)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> AsyncEngine:
    """A migrated, empty database of each kind (sync: asks the async fixtures outside a loop)."""
    engine: AsyncEngine = request.getfixturevalue(f"{request.param}_db")
    return engine

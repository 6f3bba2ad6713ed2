"""Keeping the agenda filled: slots from the weekly schedule up to the horizon."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from webhook.booking import slots
from webhook.booking.config import BookingConfig
from webhook.booking.schedule import add_working_days
from webhook.db import writer


async def ensure_slots(engine: AsyncEngine, config: BookingConfig, *, now: datetime) -> int:
    """Create the schedule's slots from today to the horizon (idempotent)."""
    today = now.astimezone(config.zone).date()
    last = today + timedelta(days=config.schedule.horizon_days)
    async with writer(engine).begin() as connection:
        return await slots.materialise(connection, config, first=today, last=last, now=now)


async def seed_demo(engine: AsyncEngine, config: BookingConfig, *, now: datetime) -> int:
    """Slots for the next 10 working days, whatever the horizon (``weeraan serve --demo``)."""
    today = now.astimezone(config.zone).date()
    last = add_working_days(today, 10)
    async with writer(engine).begin() as connection:
        return await slots.materialise(connection, config, first=today, last=last, now=now)

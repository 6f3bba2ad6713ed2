"""What the kill -9 test and its booking loop agree on: the agenda and the staff targets."""

from __future__ import annotations

from datetime import UTC, datetime

from webhook.booking.config import BookingConfig
from webhook.crypto import Vault
from webhook.outbox.store import Target
from webhook.settings import ScheduleSettings

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 in Almere
TARGETS: tuple[Target, ...] = ("staff_email", "staff_webhook", "staff_telegram")


def config_for(vault: Vault) -> BookingConfig:
    schedule = ScheduleSettings(
        hours=["09:00-17:00"], intake_minutes=30, capacity=3, office_address="Voorbeeldstraat 1"
    )
    return BookingConfig(schedule=schedule, staff_targets=TARGETS, vault=vault)

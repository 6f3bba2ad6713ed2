"""What the booking domain needs from the settings, in one small value."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from webhook.outbox.store import Target
from webhook.settings import ScheduleSettings, Settings


@dataclass(frozen=True)
class BookingConfig:
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    staff_targets: tuple[Target, ...] = ()
    resident_email: bool = False
    resident_telegram: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.schedule.timezone)

    @property
    def address(self) -> str:
        return self.schedule.office_address

    @classmethod
    def from_settings(cls, settings: Settings) -> BookingConfig:
        telegram, smtp, notify = settings.telegram, settings.smtp, settings.notify
        staff: list[Target] = []
        if telegram.token and telegram.staff_chat_id is not None:
            staff.append("staff_telegram")
        if smtp.host and notify.email_to:
            staff.append("staff_email")
        if notify.webhook_url and notify.webhook_secret:
            staff.append("staff_webhook")
        return cls(
            schedule=settings.schedule,
            staff_targets=tuple(staff),
            resident_email=bool(smtp.host),
            resident_telegram=telegram.token is not None,
        )

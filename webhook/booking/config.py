"""What the booking domain needs from the settings, in one small value."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from webhook.crypto import Vault
from webhook.outbox.configured import configured_targets, enabled_staff_targets
from webhook.outbox.store import Target
from webhook.settings import ScheduleSettings, Settings


@dataclass(frozen=True)
class BookingConfig:
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    staff_targets: tuple[Target, ...] = ()
    resident_email: bool = False
    resident_telegram: bool = False
    vault: Vault = field(default_factory=Vault.unkeyed)
    """Seals residents' personal data; ``from_settings`` always gets a keyed one."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.schedule.timezone)

    @property
    def address(self) -> str:
        return self.schedule.office_address

    @classmethod
    def from_settings(cls, settings: Settings, vault: Vault) -> BookingConfig:
        """Only targets with a deliverer get outbox rows (``configured_targets``)."""
        configured = configured_targets(settings)
        return cls(
            schedule=settings.schedule,
            staff_targets=enabled_staff_targets(settings),
            resident_email="resident_email" in configured,
            resident_telegram="resident_telegram" in configured,
            vault=vault,
        )

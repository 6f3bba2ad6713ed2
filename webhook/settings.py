"""Typed settings from the environment: prefix ``WEERAAN_``, nested sections with ``__``.

The names are a public interface (operators script against them); every one is listed in
``.env.example`` and the README.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from dialogs.i18n import DEFAULT_LOCALES_DIR
from dialogs.languages import DEFAULT_LOCALE, is_known, ordered
from dialogs.loader import DEFAULT_TREE_DIR
from webhook.crypto import check_key

CommaList = Annotated[list[str], NoDecode]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BOT_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
ORIGIN = re.compile(r"https?://[^/\s?#]+")


def _hhmm(text: str) -> str:
    hours, _, minutes = text.strip().partition(":")
    return f"{int(hours):02d}:{minutes}"


def _is_time(text: str) -> bool:
    hours, sep, minutes = text.strip().partition(":")
    ok = sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2
    return bool(ok) and int(hours) < 24 and int(minutes) < 60


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class TelegramSettings(BaseModel):
    token: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    api_base: str = "https://api.telegram.org"
    staff_chat_id: int | None = None
    rate_global: float = 30.0
    rate_per_chat: float = 1.0
    rate_per_group_minute: int = 20
    rate_per_user_minute: int = Field(60, ge=1)
    allowed_updates: CommaList = Field(default_factory=lambda: ["message", "callback_query"])
    max_connections: int = Field(40, ge=1, le=100)
    bot_username: str | None = Field(
        None, description="the bot's @username, for the t.me link and QR code on the demo page"
    )

    _split_updates = field_validator("allowed_updates", mode="before")(_split)

    @field_validator("bot_username", mode="before")
    @classmethod
    def _username(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        name = value.strip().removeprefix("@")
        if not name:
            return None
        if not BOT_USERNAME.fullmatch(name):
            raise ValueError(f"a Telegram username has 5-32 letters, digits or _, not {value!r}")
        return name


class SmtpSettings(BaseModel):
    host: str | None = None
    port: int = 587
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = True
    from_: str = Field("WeerAan <weeraan@localhost>", alias="from")


class NotifySettings(BaseModel):
    email_to: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None


class ScheduleSettings(BaseModel):
    """The weekly opening schedule for intakes, in local time (``timezone``)."""

    capacity: int = Field(1, ge=1)
    days: CommaList = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    hours: CommaList = Field(default_factory=lambda: ["09:00-12:00", "13:00-16:00"])
    intake_minutes: int = Field(45, ge=10, le=240)
    modes: CommaList = Field(default_factory=lambda: ["office", "phone"])
    office_address: str = ""
    min_notice_hours: int = Field(2, ge=0)
    horizon_days: int = Field(21, ge=1, le=120)
    urgent_working_days: int = Field(3, ge=1)
    reminder_hour: int = Field(18, ge=0, le=23)
    timezone: str = "Europe/Amsterdam"

    _split_lists = field_validator("days", "hours", "modes", mode="before")(_split)

    @field_validator("days")
    @classmethod
    def _weekdays(cls, value: list[str]) -> list[str]:
        days = [d.lower()[:3] for d in value]
        unknown = [d for d in days if d not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown weekdays {unknown}; use {', '.join(WEEKDAYS)}")
        return days

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: list[str]) -> list[str]:
        spans = []
        for span in value:
            start, sep, end = span.partition("-")
            if not sep or not (_is_time(start) and _is_time(end)):
                raise ValueError(f"opening hours look like 09:00-12:00, not {span!r}")
            start, end = _hhmm(start), _hhmm(end)
            if start >= end:
                raise ValueError(f"opening hours must end after they start: {span!r}")
            spans.append(f"{start}-{end}")
        return spans

    @field_validator("modes")
    @classmethod
    def _modes(cls, value: list[str]) -> list[str]:
        unknown = [m for m in value if m not in ("office", "phone")]
        if unknown or not value:
            raise ValueError("modes are office and/or phone")
        return value


class WidgetSettings(BaseModel):
    allowed_origins: CommaList = Field(default_factory=list)
    rate_per_minute: int = Field(30, ge=1)
    rate_per_ip_minute: int = Field(120, ge=1)

    _split_origins = field_validator("allowed_origins", mode="before")(_split)

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        """Origins as browsers send them: ``https://www.almere.nl``, no path, no ``*``."""
        origins = [origin.strip().rstrip("/").lower() for origin in value]
        wrong = [origin for origin in origins if not ORIGIN.fullmatch(origin)]
        if wrong:
            raise ValueError(f"allowed origins look like https://www.example.nl, not {wrong}")
        return origins


class RetentionSettings(BaseModel):
    """How long data is kept, in days (``webhook.retention`` deletes or anonymises it)."""

    conversation_days: int = Field(30, ge=1)
    booking_days: int = Field(90, ge=1)
    outbox_days: int = Field(30, ge=1)
    outbox_payload_days: int = Field(7, ge=1)
    audit_days: int = Field(365, ge=1)
    updates_days: int = Field(7, ge=1)


class MetricsSettings(BaseModel):
    """Who may read ``/metrics`` (``webhook.metrics_http``); how fresh its database figures are."""

    token: SecretStr | None = Field(
        None, description="bearer token for /metrics; unset: only loopback, never via a proxy"
    )
    cache_seconds: float = Field(10.0, ge=0, le=300)

    @field_validator("token")
    @classmethod
    def _strong_token(cls, value: SecretStr | None) -> SecretStr | None:
        """An empty variable means no token; a short one is refused (it would be guessable)."""
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value().strip()) < 16:
            raise ValueError("WEERAAN_METRICS__TOKEN: use at least 16 characters")
        return SecretStr(value.get_secret_value().strip())


class Settings(BaseSettings):
    """All of WeerAan's settings; built once by a composition root and passed down."""

    model_config = SettingsConfigDict(
        env_prefix="WEERAAN_",
        env_nested_delimiter="__",
        extra="ignore",
        populate_by_name=True,
        hide_input_in_errors=True,  # errors must never echo a key or a token
    )

    database_url: str = "sqlite+aiosqlite:///weeraan.db"
    public_url: str | None = None
    languages: CommaList = Field(
        default_factory=list, description="offered languages; default: Dutch and every catalog"
    )
    tree_dir: Path = DEFAULT_TREE_DIR
    locales_dir: Path = DEFAULT_LOCALES_DIR
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    keys: SecretStr | None = Field(
        None, description="encryption keys, comma-separated, newest first (webhook.crypto)"
    )

    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    widget: WidgetSettings = Field(default_factory=WidgetSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)

    _split_languages = field_validator("languages", mode="before")(_split)

    @field_validator("keys")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        """Every key must be a Fernet key; the message names its place, never the key."""
        if value is None:
            return None
        keys = [key.strip() for key in value.get_secret_value().split(",")]
        if not any(keys):
            return None
        problems = []
        for place, key in enumerate(keys, start=1):
            try:
                check_key(key)
            except ValueError as exc:
                problems.append(f"key {place} of {len(keys)} is {exc}")
        if problems:
            raise ValueError("WEERAAN_KEYS: " + "; ".join(problems))
        return SecretStr(",".join(keys))

    @property
    def key_list(self) -> list[str]:
        """The Fernet keys from ``WEERAAN_KEYS`` (first encrypts); empty when unset."""
        return [] if self.keys is None else self.keys.get_secret_value().split(",")

    @model_validator(mode="after")
    def _offered_languages(self) -> Self:
        available = catalog_languages(self.locales_dir)
        if not self.languages:
            self.languages = ordered(available)
            return self
        unknown = [code for code in self.languages if not is_known(code)]
        if unknown:
            raise ValueError(
                f"languages: unknown language codes {unknown} (use codes like nl, en, uk)"
            )
        missing = [c for c in self.languages if c != DEFAULT_LOCALE and c not in available]
        if missing:
            raise ValueError(
                f"languages: no catalog for {missing}: add one with `make language L=<code>`"
            )
        return self


def catalog_languages(locales_dir: Path) -> list[str]:
    """The languages with a catalog: ``locales/<code>/LC_MESSAGES/messages.po``."""
    return sorted(p.parent.parent.name for p in locales_dir.glob("*/LC_MESSAGES/messages.po"))

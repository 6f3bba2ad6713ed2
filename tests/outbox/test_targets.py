"""Which targets exist follows from which settings are present."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from dialogs.i18n import SourceLanguage
from webhook.outbox.configured import enabled_staff_targets
from webhook.outbox.targets import LEAKY_LOGGERS, build_deliverers, close_deliverers
from webhook.outbox.webhook_target import WebhookTarget
from webhook.settings import NotifySettings, Settings, SmtpSettings, TelegramSettings

SECRET = SecretStr("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")


def full() -> Settings:
    return Settings(
        telegram=TelegramSettings(token=SecretStr("123:abc"), staff_chat_id=-100),
        smtp=SmtpSettings.model_validate({"host": "smtp.example.org"}),
        notify=NotifySettings(
            email_to="intake@example.org",
            webhook_url="https://example.org/h",
            webhook_secret=SECRET,
        ),
    )


async def test_nothing_configured_means_no_targets() -> None:
    assert build_deliverers(Settings(), SourceLanguage()) == {}
    assert enabled_staff_targets(Settings()) == ()


async def test_everything_configured_means_every_target() -> None:
    deliverers = build_deliverers(full(), SourceLanguage())
    try:
        assert set(deliverers) == {
            "staff_telegram",
            "staff_email",
            "staff_webhook",
            "resident_email",
            "resident_telegram",
        }
        assert enabled_staff_targets(full()) == ("staff_telegram", "staff_email", "staff_webhook")
    finally:
        await close_deliverers(deliverers)


@pytest.mark.parametrize(
    ("changes", "staff", "all_targets"),
    [
        ({"smtp": {"host": "smtp.example.org"}}, (), {"resident_email"}),
        (
            {"smtp": {"host": "smtp.example.org"}, "notify": {"email_to": "x@example.org"}},
            ("staff_email",),
            {"staff_email", "resident_email"},
        ),
        ({"notify": {"email_to": "x@example.org"}}, (), set()),
        ({"notify": {"webhook_url": "https://example.org/h"}}, (), set()),
        ({"telegram": {"staff_chat_id": -100}}, (), set()),
        ({"telegram": {"token": "123:abc"}}, (), {"resident_telegram"}),
    ],
)
async def test_a_target_needs_all_of_its_settings(
    changes: dict[str, dict[str, object]], staff: tuple[str, ...], all_targets: set[str]
) -> None:
    settings = Settings.model_validate(changes)
    deliverers = build_deliverers(settings, SourceLanguage())
    try:
        assert set(deliverers) == all_targets
        assert enabled_staff_targets(settings) == staff
    finally:
        await close_deliverers(deliverers)


async def test_closing_closes_the_http_client() -> None:
    deliverers = build_deliverers(full(), SourceLanguage())
    webhook = deliverers["staff_webhook"]
    assert isinstance(webhook, WebhookTarget)
    await close_deliverers(deliverers)
    assert webhook._client.is_closed


@pytest.mark.usefixtures("quiet")
def test_leaky_loggers_say_only_warnings() -> None:
    for name in LEAKY_LOGGERS:
        assert not logging.getLogger(name).isEnabledFor(logging.INFO)
        assert logging.getLogger(name).isEnabledFor(logging.WARNING)

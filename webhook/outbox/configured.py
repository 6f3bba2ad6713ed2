"""Which delivery targets are configured: a target exists only when its settings are complete.

Kept apart from the deliverers so that the booking code can ask without importing them.
"""

from __future__ import annotations

from webhook.outbox.store import STAFF_TARGETS, Target
from webhook.settings import Settings


def configured_targets(settings: Settings) -> tuple[Target, ...]:
    smtp, notify, telegram = settings.smtp, settings.notify, settings.telegram
    present: dict[Target, bool] = {
        "staff_telegram": telegram.token is not None and telegram.staff_chat_id is not None,
        "staff_email": bool(smtp.host) and bool(notify.email_to),
        "staff_webhook": bool(notify.webhook_url) and notify.webhook_secret is not None,
        "resident_email": bool(smtp.host),
        "resident_telegram": telegram.token is not None,
    }
    return tuple(target for target, ok in present.items() if ok)


def enabled_staff_targets(settings: Settings) -> tuple[Target, ...]:
    """The caseworker targets to enqueue for: those whose settings are present."""
    configured = configured_targets(settings)
    return tuple(target for target in STAFF_TARGETS if target in configured)

"""Access to the collaborators built by the composition root (``webhook.app``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.service import ConversationService
from webhook.booking.config import BookingConfig
from webhook.settings import Settings
from webhook.widget_sessions import WidgetSessions

if TYPE_CHECKING:
    from webhook.telegram.runtime import TelegramRuntime
    from webhook.telegram.updates import UpdateLog
    from webhook.widget_api import WidgetLimits


@dataclass(frozen=True)
class Components:
    settings: Settings
    db: AsyncEngine
    service: ConversationService
    widget_sessions: WidgetSessions
    widget_limits: WidgetLimits
    booking: BookingConfig
    telegram_updates: UpdateLog
    telegram: TelegramRuntime | None = None


def get_components(request: Request) -> Components:
    components: Components = request.app.state.components
    return components

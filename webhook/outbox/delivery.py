"""The contract between the outbox worker and the targets it delivers to.

A target (Telegram, SMTP, the signed webhook) receives one ``OutboxMessage`` and either
returns (the target accepted it) or raises. ``DeliveryError`` carries a short reason that is
safe to store and log (no personal data, no tokens, no URLs) and, when the target said so,
how long to wait before trying again. Any other exception counts as a failure too; only its
class name is recorded, because exception texts may quote addresses or URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from webhook.outbox.store import Event, Target


@dataclass(frozen=True)
class OutboxMessage:
    """One notification for one target, as read from the ``outbox`` table."""

    id: int
    message_id: str
    event: Event
    target: Target
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


class DeliveryError(Exception):
    """The target did not accept the message; ``reason`` is short and free of personal data."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Deliverer(Protocol):
    """Hands one message to a target; returns only once the target has accepted it."""

    async def deliver(self, message: OutboxMessage) -> None: ...


def failure_reason(error: BaseException) -> str:
    """What may be stored in ``last_error`` and logged: never the text of a foreign exception."""
    if isinstance(error, DeliveryError):
        return error.reason[:200]
    if isinstance(error, TimeoutError):
        return "timeout"
    return type(error).__name__

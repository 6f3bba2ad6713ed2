"""Writing notifications into the outbox, inside the caller's transaction.

A booking and its notification rows commit together or not at all; the worker
(``webhook.outbox.worker``) delivers them afterwards. Each row is one event for one target;
``message_id`` is stable across retries (it is the Standard Webhooks ``webhook-id``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from webhook.crypto import Vault
from webhook.tables import outbox

Event = Literal[
    "booking.created",
    "booking.cancelled",
    "booking.rescheduled",
    "booking.reminder",
    "callback.requested",
]
Target = Literal[
    "staff_telegram", "staff_email", "staff_webhook", "resident_email", "resident_telegram"
]
STAFF_TARGETS: Final[tuple[Target, ...]] = ("staff_telegram", "staff_email", "staff_webhook")


async def enqueue(
    connection: AsyncConnection,
    *,
    event: Event,
    payload: Mapping[str, Any],
    targets: Iterable[Target],
    now: datetime,
    vault: Vault,
) -> list[str]:
    """Add one pending row per target (payload sealed by ``vault``); returns message ids."""
    document = json.dumps({"event": event, **payload}, ensure_ascii=False, default=str)
    rows = [
        {
            "message_id": f"msg_{uuid.uuid4().hex}",
            "event": event,
            "target": target,
            "payload": vault.seal_text(document),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for target in dict.fromkeys(targets)
    ]
    if rows:
        await connection.execute(outbox.insert(), rows)
    return [str(row["message_id"]) for row in rows]

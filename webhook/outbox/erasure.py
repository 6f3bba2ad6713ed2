"""Erasing a resident from the outbox: one rule for ``/wis``, the widget and the staff action.

Called inside the erasing transaction, after the booking was cancelled (so the cancellation
rows just written are covered too) and before its personal data is anonymised (the booking
references and call-back ids are still findable by the resident's key).

The rule, for every outbox row of that resident that still has contents:

* rows **to the resident** (``resident_email``, ``resident_telegram``) are deleted: without
  the address or chat id they cannot be delivered, and the resident had their confirmation
  in the chat;
* rows **to caseworkers** stay (they still learn that the intake was cancelled), with
  ``name``, ``phone`` and ``email`` replaced by ``ERASED`` / ``None``.

A row's contents are the resident's if they name one of the resident's booking references
or call-back ids, or (Telegram) their chat id. Pending, given-up ("dead") and recently sent
rows are all covered; older sent rows have already been emptied by ``webhook.retention``.
"""

from __future__ import annotations

import json
from typing import Any, Final

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from dialogs.ports import ConversationKey
from webhook.crypto import Vault
from webhook.tables import bookings, callback_requests, outbox

ERASED: Final = "[gewist]"
"""What stays of a name or phone number after erasure: rows keep their counts."""
CLEARED: Final = "{}"
"""The contents of an outbox row whose payload was removed (``webhook.retention``)."""
RESIDENT_TARGETS: Final = frozenset({"resident_email", "resident_telegram"})
_PERSONAL: Final = {"name": ERASED, "phone": ERASED, "email": None, "to": None}


def _decode(raw: str, vault: Vault) -> dict[str, Any]:
    try:
        value = json.loads(vault.open_text(raw))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _encode(payload: dict[str, Any], vault: Vault) -> str:
    return vault.seal_text(json.dumps(payload, ensure_ascii=False, default=str))


def _is_residents(
    row: Any, payload: dict[str, Any], key: ConversationKey, references: set[str], ids: set[int]
) -> bool:
    if payload.get("reference") in references:
        return True
    if row.event == "callback.requested" and payload.get("id") in ids:
        return True
    chat = payload.get("chat_id")
    return key.channel == "telegram" and chat is not None and str(chat) == key.external_id


async def forget_notifications(
    connection: AsyncConnection, key: ConversationKey, vault: Vault
) -> int:
    """Delete or scrub the outbox rows about ``key`` (see the module); returns how many.

    Payloads are sealed at rest: opened and sealed again with ``vault``."""
    references = set(
        (
            await connection.scalars(
                select(bookings.c.reference).where(
                    bookings.c.channel == key.channel, bookings.c.external_id == key.external_id
                )
            )
        ).all()
    )
    ids = set(
        (
            await connection.scalars(
                select(callback_requests.c.id).where(
                    callback_requests.c.channel == key.channel,
                    callback_requests.c.external_id == key.external_id,
                )
            )
        ).all()
    )
    rows = (
        await connection.execute(
            select(outbox.c.id, outbox.c.event, outbox.c.target, outbox.c.payload).where(
                outbox.c.payload != CLEARED
            )
        )
    ).all()
    changed = 0
    for row in rows:
        payload = _decode(row.payload, vault)
        if not _is_residents(row, payload, key, references, ids):
            continue
        if row.target in RESIDENT_TARGETS:
            await connection.execute(delete(outbox).where(outbox.c.id == row.id))
        else:
            scrubbed = {field: _PERSONAL.get(field, value) for field, value in payload.items()}
            await connection.execute(
                update(outbox).where(outbox.c.id == row.id).values(payload=_encode(scrubbed, vault))
            )
        changed += 1
    return changed

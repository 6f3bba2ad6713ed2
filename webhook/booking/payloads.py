"""What the outbox carries for each event: the caseworker's fields and the resident's.

Caseworkers get exactly what they need for the intake (PRODUCT.md §3), nothing else: no
chat history, no free text.
"""

from __future__ import annotations

import json
from typing import Any

from webhook.booking.times import utc


def staff_booking(row: Any, *, address: str) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "starts_at": utc(row.starts_at).isoformat(),
        "ends_at": utc(row.ends_at).isoformat(),
        "mode": row.mode,
        "name": row.name,
        "phone": row.phone,
        "email": row.email or None,
        "language": row.locale,
        "channel": row.channel,
        "outcome": row.outcome,
        "reasons": json.loads(row.reasons or "[]"),
        "urgent": bool(row.urgent),
        "situation": row.situation,
        "energy": row.energy,
        "supplier": row.supplier,
        "created_at": utc(row.created_at).isoformat(),
        "address": address if row.mode == "office" else "",
    }


def resident_booking(
    row: Any, *, kind: str, address: str, method: str, by: str = "resident"
) -> dict[str, Any]:
    """What the resident's message needs; ``changed_by`` says whether a caseworker made the
    change (the message says so)."""
    return {
        "kind": kind,
        "locale": row.locale,
        "reference": row.reference,
        "starts_at": utc(row.starts_at).isoformat(),
        "ends_at": utc(row.ends_at).isoformat(),
        "mode": row.mode,
        "address": address if row.mode == "office" else "",
        "sequence": row.sequence,
        "method": method,
        "changed_by": by,
    }


def staff_callback(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "phone": row.phone,
        "part_of_day": row.part_of_day,
        "urgent": bool(row.urgent),
        "outcome": row.outcome,
        "reasons": json.loads(row.reasons or "[]"),
        "situation": row.situation,
        "energy": row.energy,
        "supplier": row.supplier,
        "language": row.locale,
        "channel": row.channel,
        "created_at": utc(row.created_at).isoformat(),
    }

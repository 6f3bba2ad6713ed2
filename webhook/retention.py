"""Retention: what is deleted or anonymised when, run every hour by ``webhook.jobs``.

The limits come from ``WEERAAN_RETENTION__*`` (``RetentionSettings``), counted back from
``now``:

* **conversations** without an active booking, ``conversation_days`` after their last turn
  (``updated_at``), with their widget sessions; widget sessions that never had a
  conversation go after the same time;
* **call-back requests**, ``conversation_days`` after they were made;
* **bookings**, ``booking_days`` after the intake (``starts_at``): name, phone and e-mail
  become ``[gewist]`` / empty and the resident's chat id or widget session a meaningless
  ``[gewist]:<id>``; status, outcome, urgency, reasons, language, channel, situation,
  energy, supplier and the dates stay, so the counts stay;
* **outbox**: a delivered row's contents are emptied ``outbox_payload_days`` after delivery;
  delivered rows are deleted ``outbox_days`` after delivery and given-up ("dead") rows
  ``outbox_days`` after they were written;
* **audit log** entries after ``audit_days``;
* **Telegram update ids** and **handled-event tokens** (duplicate guards) after
  ``updates_days``; **staff sessions** once expired.

Each kind is one short writing transaction of its own, so a resident's turn never waits
long. A turn that touches a conversation while it is purged either commits first (its
``updated_at`` is then new, and the row stays: PostgreSQL re-checks the condition on the
changed row) or comes after and starts a new conversation. Only counts are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, delete, exists, literal, update
from sqlalchemy.ext.asyncio import AsyncEngine

from webhook.db import writer
from webhook.outbox.erasure import CLEARED, ERASED
from webhook.settings import RetentionSettings
from webhook.tables import (
    audit_log,
    bookings,
    callback_requests,
    conversations,
    handled_events,
    outbox,
    staff_sessions,
    telegram_updates,
    widget_sessions,
)

log = logging.getLogger(__name__)
PURGE_EVERY = 3600.0


@dataclass(frozen=True)
class PurgeReport:
    """How many rows of each kind one run deleted (or, for bookings and outbox contents,
    anonymised)."""

    conversations: int = 0
    widget_sessions: int = 0
    callbacks: int = 0
    bookings: int = 0
    outbox_payloads: int = 0
    outbox_rows: int = 0
    audit: int = 0
    telegram_updates: int = 0
    handled_events: int = 0
    staff_sessions: int = 0

    @property
    def total(self) -> int:
        return sum(asdict(self).values())


def _days(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def _stale_conversations(cutoff: datetime) -> Any:
    active = exists().where(
        bookings.c.channel == conversations.c.channel,
        bookings.c.external_id == conversations.c.external_id,
        bookings.c.status == "active",
    )
    return delete(conversations).where(conversations.c.updated_at < cutoff, ~active)


def _orphan_widget_sessions(cutoff: datetime) -> Any:
    conversation = exists().where(
        conversations.c.channel == "widget",
        conversations.c.external_id == widget_sessions.c.id,
    )
    return delete(widget_sessions).where(widget_sessions.c.created_at < cutoff, ~conversation)


def _anonymise_bookings(cutoff: datetime, now: datetime) -> Any:
    return (
        update(bookings)
        .where(bookings.c.starts_at < cutoff, bookings.c.name != ERASED)
        .values(
            name=ERASED,
            phone=ERASED,
            email=None,
            external_id=literal(f"{ERASED}:") + cast(bookings.c.id, String),
            claimed_telegram_id=None,
            updated_at=now,
        )
    )


def _statements(settings: RetentionSettings, now: datetime) -> list[tuple[str, Any]]:
    talk = _days(now, settings.conversation_days)
    outbox_cutoff = _days(now, settings.outbox_days)
    updates = _days(now, settings.updates_days)
    return [
        ("conversations", _stale_conversations(talk)),
        ("widget_sessions", _orphan_widget_sessions(talk)),
        ("callbacks", delete(callback_requests).where(callback_requests.c.created_at < talk)),
        ("bookings", _anonymise_bookings(_days(now, settings.booking_days), now)),
        (
            "outbox_payloads",
            update(outbox)
            .where(
                outbox.c.status == "sent",
                outbox.c.sent_at < _days(now, settings.outbox_payload_days),
                outbox.c.payload != CLEARED,
            )
            .values(payload=CLEARED),
        ),
        (
            "outbox_rows",
            delete(outbox).where(
                and_(outbox.c.status == "sent", outbox.c.sent_at < outbox_cutoff)
                | and_(outbox.c.status == "dead", outbox.c.created_at < outbox_cutoff)
            ),
        ),
        ("audit", delete(audit_log).where(audit_log.c.at < _days(now, settings.audit_days))),
        (
            "telegram_updates",
            delete(telegram_updates).where(telegram_updates.c.updated_at < updates),
        ),
        ("handled_events", delete(handled_events).where(handled_events.c.at < updates)),
        ("staff_sessions", delete(staff_sessions).where(staff_sessions.c.expires_at < now)),
    ]


async def purge(engine: AsyncEngine, settings: RetentionSettings, *, now: datetime) -> PurgeReport:
    """Delete and anonymise everything past its limit (see the module); returns the counts."""
    counts: dict[str, int] = {}
    for kind, statement in _statements(settings, now):
        async with writer(engine).begin() as connection:
            result = await connection.execute(statement)
        counts[kind] = max(result.rowcount or 0, 0)
    report = PurgeReport(**counts)
    if report.total:
        log.info("retention: %s", " ".join(f"{k}={v}" for k, v in counts.items() if v))
    return report


def purge_job(
    engine: AsyncEngine, settings: RetentionSettings, clock: Callable[[], datetime]
) -> Callable[[], Any]:
    """The hourly job's round: ``purge`` at the clock's time."""

    async def run() -> PurgeReport:
        return await purge(engine, settings, now=clock())

    return run

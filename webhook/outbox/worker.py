"""The outbox worker: delivers committed notifications, retries with back-off, never twice.

Each round claims due rows under a lease (``webhook.outbox.claims``), delivers them outside
any database transaction, and records every result in its own short transaction right after
the target answered. Rows for one target go one after another (the order they were written,
gentle on rate limits); different targets run side by side, so a slow SMTP server does not
hold up Telegram.

Exactly-once towards a target is the goal; the one window left is a crash (or a lost
database) *after* a target accepted a message and *before* it was marked sent. Then the
lease runs out and the message is delivered again with the same ``message_id`` (the
Standard Webhooks ``webhook-id``, the e-mail ``Message-ID``), so receivers can deduplicate.
A delivery still running when 80% of the lease has passed is abandoned, so no other worker
can claim a row while it is in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from webhook.crypto import Vault
from webhook.outbox.backoff import retry_delay
from webhook.outbox.claims import Claim, as_utc, claim_due, mark_failed, mark_sent, release
from webhook.outbox.delivery import Deliverer, DeliveryError, OutboxMessage, failure_reason
from webhook.outbox.store import Target

__all__ = ["Deliverer", "DeliveryError", "OutboxMessage", "OutboxWorker"]

log = logging.getLogger(__name__)

LEASE_SHARE_FOR_DELIVERY = 0.8


class OutboxWorker:
    """Claims, delivers and records outbox rows for the targets it has deliverers for."""

    def __init__(
        self,
        engine: AsyncEngine,
        deliverers: Mapping[Target, Deliverer],
        *,
        clock: Callable[[], datetime],
        batch: int = 20,
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 8,
        base_delay: timedelta = timedelta(seconds=5),
        max_delay: timedelta = timedelta(hours=6),
        rng: random.Random | None = None,
        vault: Vault | None = None,
    ) -> None:
        """``vault`` opens the sealed payloads (the composition root passes its own)."""
        if batch < 1 or max_attempts < 1 or lease <= timedelta(0):
            raise ValueError("batch, max_attempts and lease must be positive")
        self._engine = engine
        self._deliverers = dict(deliverers)
        self._vault = vault or Vault.unkeyed()
        self._clock = clock
        self._batch = batch
        self._lease = lease
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._wake = asyncio.Event()

    def now(self) -> datetime:
        return as_utc(self._clock())

    def wake(self) -> None:
        """Something was just committed to the outbox: look now instead of after ``idle``."""
        self._wake.set()

    async def run_once(self) -> int:
        """One round: claim due rows, deliver them, record; returns how many were attempted."""
        claims = await claim_due(
            self._engine,
            now=self.now(),
            lease=self._lease,
            batch=self._batch,
            targets=self._deliverers.keys(),
            vault=self._vault,
        )
        if not claims:
            return 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._lease.total_seconds() * LEASE_SHARE_FOR_DELIVERY
        lanes: defaultdict[Target, list[Claim]] = defaultdict(list)
        for claim in claims:
            lanes[claim.message.target].append(claim)
        # Every lane runs to its end even if another one fails (its deliveries are in
        # flight); a lane stops at a database error, its remaining rows wait out the lease.
        results = await asyncio.gather(
            *(self._run_lane(lane, deadline) for lane in lanes.values()), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return sum(result for result in results if isinstance(result, int))

    async def run_forever(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Deliver until ``stop`` is set; between empty rounds wait ``idle`` s (or a wake)."""
        while not stop.is_set():
            self._wake.clear()
            try:
                attempted = await self.run_once()
            except Exception as exc:  # the database is away: keep trying, quietly
                log.warning("outbox round failed: %s", type(exc).__name__)
                attempted = 0
            if attempted == 0:
                await _first_of(stop, self._wake, seconds=idle)

    async def _run_lane(self, claims: list[Claim], deadline: float) -> int:
        loop = asyncio.get_running_loop()
        attempted = 0
        for claim in claims:
            if loop.time() >= deadline:
                await release(self._engine, claim)
                continue
            attempted += 1
            await self._attempt(claim, deadline)
        return attempted

    async def _attempt(self, claim: Claim, deadline: float) -> None:
        message = claim.message
        deliverer = self._deliverers[message.target]
        try:
            async with asyncio.timeout_at(deadline):
                await deliverer.deliver(message)
        except Exception as exc:
            await self._record_failure(claim, exc)
            return
        await mark_sent(self._engine, claim, now=self.now())
        log.info("outbox %s %s delivered to %s", message.message_id, message.event, message.target)

    async def _record_failure(self, claim: Claim, error: Exception) -> None:
        message = claim.message
        reason = failure_reason(error)
        retry_after = error.retry_after if isinstance(error, DeliveryError) else None
        now = self.now()
        dead = message.attempts + 1 >= self._max_attempts
        delay = retry_delay(
            message.attempts,
            base=self._base_delay,
            cap=self._max_delay,
            rng=self._rng,
            retry_after=retry_after,
        )
        held = await mark_failed(
            self._engine, claim, error=reason, next_attempt_at=now + delay, dead=dead
        )
        if not held:
            log.warning("outbox %s lease lost before its failure was recorded", message.message_id)
        elif dead:
            log.error(
                "outbox %s %s to %s is dead after %d attempts: %s",
                message.message_id,
                message.event,
                message.target,
                message.attempts + 1,
                reason,
            )
        else:
            log.warning(
                "outbox %s %s to %s failed (attempt %d, retry in %.0f s): %s",
                message.message_id,
                message.event,
                message.target,
                message.attempts + 1,
                delay.total_seconds(),
                reason,
            )


async def _first_of(*events: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*waiters, return_exceptions=True)

"""The caseworkers' HTTP webhook, signed per Standard Webhooks 1.0.

Body: ``{"type": event, "timestamp": written at, "data": payload}`` (the envelope the spec
recommends), serialised the same way on every retry. Headers: ``webhook-id`` (the outbox
``message_id``, stable across retries, for the receiver to deduplicate), ``webhook-timestamp``
(this attempt, Unix seconds) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>``).

2xx is success. Everything else is a failure the worker retries: 429 and 5xx honour
``Retry-After``; redirects are not followed (the spec counts 3xx as failure).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final

import httpx
from standardwebhooks import Webhook

from webhook.outbox.delivery import DeliveryError, OutboxMessage

TIMEOUT: Final = 15.0


class WebhookTarget:
    """POSTs signed JSON to one URL; owns an ``httpx.AsyncClient`` (close with ``aclose``)."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        timeout: float = TIMEOUT,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._url = url
        self._signer = Webhook(secret)
        self._clock = clock
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False
        )

    async def deliver(self, message: OutboxMessage) -> None:
        body = envelope(message)
        timestamp = self._clock().astimezone(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": message.message_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": self._signer.sign(message.message_id, timestamp, body),
        }
        try:
            response = await self._client.post(
                self._url, content=body.encode("utf-8"), headers=headers
            )
        except httpx.TimeoutException:
            raise DeliveryError("webhook timeout") from None
        except httpx.HTTPError as exc:  # connection refused, reset, TLS: never the URL
            raise DeliveryError(f"webhook unreachable ({type(exc).__name__})") from None
        if response.is_success:
            return
        retry_after = None
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = parse_retry_after(response.headers.get("retry-after"), now=timestamp)
        raise DeliveryError(f"webhook HTTP {response.status_code}", retry_after=retry_after)

    async def aclose(self) -> None:
        await self._client.aclose()


def envelope(message: OutboxMessage) -> str:
    data = {key: value for key, value in message.payload.items() if key != "event"}
    document = {
        "type": message.event,
        "timestamp": message.created_at.astimezone(UTC).isoformat(),
        "data": data,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait, from ``Retry-After: <seconds>`` or ``Retry-After: <HTTP date>``."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())

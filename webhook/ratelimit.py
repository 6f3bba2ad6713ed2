"""A small in-process token-bucket rate limiter (per IP, per widget session)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """``per_minute`` requests per key on average, with bursts up to ``burst``.

    Forgets a key once its bucket would be full again (a full bucket is what a new key
    gets), and keeps at most ``max_keys`` buckets (least recently used are dropped): memory
    follows the keys active in the last ``burst / rate`` seconds, not every key ever seen
    (measured: 100,000 residents once each kept ~20 MiB of buckets).
    """

    def __init__(
        self,
        per_minute: int,
        burst: int | None = None,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else max(1, per_minute // 2))
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def _forget_full(self, now: float) -> None:
        """Drop the least recently used buckets that have refilled completely."""
        refilled = now - self.burst / self.rate
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            if oldest.updated > refilled:
                return
            self._buckets.popitem(last=False)

    def hit(self, key: str) -> float:
        """Take one token for ``key``; returns 0 if allowed, else seconds to wait."""
        now = self.clock()
        bucket = self._buckets.pop(key, None) or _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        self._buckets[key] = bucket
        self._forget_full(now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

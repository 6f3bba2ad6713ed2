"""When to try a failed notification again: exponential back-off with equal jitter.

The delay doubles with every failed attempt (``base * 2**attempts``, capped at ``cap``); the
jitter spreads retries of many messages that failed together (a target that was down) so
they do not all come back at the same moment. Equal jitter keeps at least half the delay,
so the delay still grows while no two retries are forced onto the same second.
"""

from __future__ import annotations

import random
from datetime import timedelta


def retry_delay(
    attempts: int,
    *,
    base: timedelta,
    cap: timedelta,
    rng: random.Random,
    retry_after: float | None = None,
) -> timedelta:
    """The wait after a failure, given how many attempts had failed before this one.

    ``retry_after`` (seconds, from a 429 or ``Retry-After``) is a floor: the target asked
    not to be called before then. It is capped at ``cap`` like everything else.
    """
    ceiling = cap.total_seconds()
    exponential = min(ceiling, base.total_seconds() * 2.0 ** min(attempts, 64))
    seconds = exponential * (0.5 + 0.5 * rng.random())
    if retry_after is not None and retry_after > 0:
        seconds = max(seconds, min(ceiling, retry_after))
    return timedelta(seconds=seconds)

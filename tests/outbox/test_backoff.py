"""Back-off: doubles per attempt, capped, jittered, and never shorter than ``Retry-After``."""

from __future__ import annotations

import random
from datetime import timedelta

from webhook.outbox.backoff import retry_delay

BASE, CAP = timedelta(seconds=5), timedelta(hours=6)


def delay(attempts: int, rng: random.Random, retry_after: float | None = None) -> float:
    wait = retry_delay(attempts, base=BASE, cap=CAP, rng=rng, retry_after=retry_after)
    return wait.total_seconds()


def test_each_delay_lies_between_half_and_all_of_the_exponential_step() -> None:
    rng = random.Random(1)
    for attempts in range(20):
        step = min(CAP.total_seconds(), 5.0 * 2**attempts)
        for _ in range(50):
            assert step / 2 <= delay(attempts, rng) <= step


def test_delays_never_shrink_from_one_attempt_to_the_next_until_the_cap() -> None:
    rng = random.Random(2)
    for _ in range(200):
        waits = [delay(attempts, rng) for attempts in range(12)]
        assert waits == sorted(waits)


def test_jitter_spreads_messages_that_failed_together() -> None:
    rng = random.Random(3)
    assert len({delay(4, rng) for _ in range(100)}) > 90


def test_the_cap_holds_for_any_number_of_attempts() -> None:
    rng = random.Random(4)
    assert delay(10_000, rng) <= CAP.total_seconds()


def test_retry_after_is_a_floor_but_capped() -> None:
    rng = random.Random(5)
    assert delay(0, rng, retry_after=600) >= 600
    assert delay(0, rng, retry_after=10**9) == CAP.total_seconds()
    assert delay(0, rng, retry_after=0) <= 5

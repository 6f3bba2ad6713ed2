"""Every outbox test runs under a time limit, set up and body alike; loggers quieted on demand."""

from __future__ import annotations

import logging
import signal
from collections.abc import Generator, Iterator
from types import FrameType

import pytest

from webhook.outbox.targets import LEAKY_LOGGERS, quiet_leaky_loggers

TIME_LIMIT = 60.0


def _expire(_signum: int, _frame: FrameType | None) -> None:
    raise TimeoutError(f"outbox test exceeded {TIME_LIMIT:.0f} s")


def _bounded() -> Generator[None, object, object]:
    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    try:
        return (yield)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _bounded())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _bounded())


@pytest.fixture
def quiet() -> Iterator[None]:
    """``quiet_leaky_loggers`` for one test, undone afterwards."""
    before = {name: logging.getLogger(name).level for name in LEAKY_LOGGERS}
    quiet_leaky_loggers()
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)

"""Fixtures for the tests of the pure dialogue core (``tree`` and ``engine`` come from the
root conftest)."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.conftest import NOW


@pytest.fixture(scope="session")
def now() -> datetime:
    """A fixed, timezone-aware moment for every step."""
    assert NOW.tzinfo is not None
    return NOW

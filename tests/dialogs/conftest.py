"""Fixtures for the tests of the pure dialogue core (``tree`` comes from the root conftest)."""

from __future__ import annotations

from datetime import datetime

import pytest

from dialogs.engine import Engine
from dialogs.model import Tree
from dialogs.testing import SettlingEngine, agenda_with_slots
from tests.conftest import NOW


@pytest.fixture(scope="session")
def now() -> datetime:
    """A fixed, timezone-aware moment for every step."""
    assert NOW.tzinfo is not None
    return NOW


@pytest.fixture
def engine(tree: Tree, now: datetime) -> SettlingEngine:
    """The engine with a fresh in-memory agenda answering its booking questions."""
    return SettlingEngine(Engine(tree), agenda_with_slots(now))

"""Fixtures: each database (``db``), and the running app with its staff side."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff.conftest import any_staff_app, database, sqlite_engine, staff_app
from tests.staff.test_dashboard import browser, logged_in

__all__ = ["any_staff_app", "browser", "database", "logged_in", "sqlite_engine", "staff_app"]


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> AsyncEngine:
    """A migrated, empty database of each kind (sync: asks the async fixtures outside a loop)."""
    engine: AsyncEngine = request.getfixturevalue(f"{request.param}_db")
    return engine

"""Operations tests use the staff side's app on both databases (bookings, call-backs, outbox)."""

from __future__ import annotations

from tests.staff.conftest import (  # noqa: F401 -- fixtures shared with tests/staff
    any_staff_app,
    database,
    sqlite_engine,
    staff_app,
)

"""The staff app on each database, shared with ``tests/staff``."""

from tests.staff.conftest import any_staff_app, database, sqlite_engine  # noqa: F401

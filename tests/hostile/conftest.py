"""The fixtures of the staff and Telegram tests: the app with a caseworker, the fake Bot API."""

from tests.staff.conftest import sqlite_engine, staff_app
from tests.telegram.test_webhook import api_base, db, fake, no_public_url

__all__ = ["api_base", "db", "fake", "no_public_url", "sqlite_engine", "staff_app"]

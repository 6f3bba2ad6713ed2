"""Shared fixtures: databases (SQLite file, PostgreSQL), the tree, a fixed clock."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from dialogs.engine import Engine
from dialogs.loader import load_tree
from dialogs.model import Tree
from webhook.crypto import Vault
from webhook.db import create_engine
from webhook.migrate import upgrade

NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
TEST_KEY = "SJpNN-D-PB_fu3zlpt8j3d-BFyPdwmOAqvNvZQlC8-E="
"""The encryption key every test app runs with (``WEERAAN_KEYS``), on either database."""
TEST_VAULT = Vault([TEST_KEY])
"""Opens what the test apps sealed, for tests that read the tables directly."""


@pytest.fixture(scope="session", autouse=True)
def encryption_keys() -> Iterator[str]:
    """``WEERAAN_KEYS`` for the whole run (PostgreSQL needs one); the key-file default of
    SQLite is tested in ``tests/security`` with the variable removed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WEERAAN_KEYS", TEST_KEY)
        yield TEST_KEY


@pytest.fixture(scope="session")
def tree() -> Tree:
    return load_tree()


@pytest.fixture(scope="session")
def engine(tree: Tree) -> Engine:
    return Engine(tree)


async def _admin_async(url: str, statement: str) -> None:
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await admin.dispose()


def _admin(url: str, statement: str) -> None:
    """Run one statement on its own loop in a thread (the caller's loop may be running)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _admin_async(url, statement)).result()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test run, dropped afterwards.

    Needs ``WEERAAN_TEST_POSTGRES_URL``. Without it the tests skip, except under ``CI=true``,
    where a missing server is a failure.
    """
    base = os.environ.get("WEERAAN_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but WEERAAN_TEST_POSTGRES_URL is not set")
        pytest.skip("WEERAAN_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped")
    name = f"weeraan_test_{uuid.uuid4().hex[:12]}"
    try:
        _admin(base, f'CREATE DATABASE "{name}"')
    except OSError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at WEERAAN_TEST_POSTGRES_URL is not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'weeraan.db'}"


async def _migrated(url: str) -> AsyncEngine:
    db = create_engine(url)
    await upgrade(db)
    return db


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    db = await _migrated(sqlite_url)
    yield db
    await db.dispose()


@pytest.fixture
async def postgres_db(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    db = await _migrated(postgres_url)
    async with db.begin() as connection:
        await connection.execute(
            text(
                "TRUNCATE conversations, widget_sessions, callback_requests, bookings, slots,"
                " outbox, audit_log, staff, funnel_nodes, funnel_outcomes"
                " RESTART IDENTITY CASCADE"
            )
        )
    yield db
    await db.dispose()

"""``/healthz`` and ``/readyz``: ready only while the database answers at the code's head."""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import _admin
from tests.webhook.test_widget_api import GENEROUS, connect, running
from webhook.db import create_engine
from webhook.health import readiness
from webhook.migrate import head_revision, upgrade
from webhook.settings import Settings

OLDER = "0005"


def _closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest) -> str:
    """An empty database of each kind (PostgreSQL: migrated to head by its fixture)."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_db")
        postgres: str = request.getfixturevalue("postgres_url")
        return postgres
    sqlite: str = request.getfixturevalue("sqlite_url")
    return sqlite


async def test_the_app_is_alive_and_ready(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, widget=GENEROUS)
    async with running(settings) as app, connect(app, ip="203.0.113.7") as http:
        alive = await http.get("/healthz")
        ready = await http.get("/readyz")
    assert alive.status_code == 200
    assert alive.json() == {"status": "ok"}
    assert ready.status_code == 200, "load balancers reach it from anywhere"
    assert ready.json()["status"] == "ready"
    assert ready.json()["revision"] == head_revision()


async def _set_revision(db: AsyncEngine, revision: str | None) -> None:
    async with db.begin() as connection:
        await connection.execute(text("DELETE FROM alembic_version"))
        if revision is not None:
            insert = text("INSERT INTO alembic_version (version_num) VALUES (:revision)")
            await connection.execute(insert, {"revision": revision})


async def test_a_database_at_an_older_revision_is_not_ready(url: str) -> None:
    db = create_engine(url)
    try:
        await upgrade(db)
        await _set_revision(db, OLDER)
        behind = await readiness(db, head_revision())
        await _set_revision(db, None)
        unversioned = await readiness(db, head_revision())
    finally:
        await _set_revision(db, head_revision())  # the PostgreSQL database is shared
        await db.dispose()
    assert not behind.ready
    assert behind.reason == (
        f"migrations not current: database at {OLDER}, code at {head_revision()}"
    )
    assert behind.revision == OLDER
    assert not unversioned.ready
    assert unversioned.reason.startswith("migrations not current: database at none")


async def test_a_database_upgraded_only_to_an_older_revision_is_not_ready(
    sqlite_url: str,
) -> None:
    db = create_engine(sqlite_url)
    try:
        await upgrade(db, OLDER)
        behind = await readiness(db, head_revision())
        await upgrade(db)
        current = await readiness(db, head_revision())
    finally:
        await db.dispose()
    assert (behind.ready, behind.revision) == (False, OLDER)
    assert (current.ready, current.revision) == (True, head_revision())


async def test_the_app_turns_not_ready_when_the_schema_moves_away(
    sqlite_url: str, sqlite_engine: AsyncEngine
) -> None:
    settings = Settings(database_url=sqlite_url, widget=GENEROUS)
    async with running(settings) as app, connect(app) as http:
        assert (await http.get("/readyz")).status_code == 200
        await _set_revision(sqlite_engine, OLDER)
        behind = await http.get("/readyz")
        alive = await http.get("/healthz")
    assert behind.status_code == 503
    assert behind.json() == {
        "status": "not ready",
        "reason": f"migrations not current: database at {OLDER}, code at {head_revision()}",
        "revision": OLDER,
    }
    assert alive.status_code == 200, "alive all the same: no restart would help"


async def _sqlite_threads_done() -> None:
    """aiosqlite stops a connection that failed to open without waiting for its thread: let it
    finish while this test's event loop still runs."""
    for _ in range(500):
        if not any("_connection_worker_thread" in t.name for t in threading.enumerate()):
            return
        await asyncio.sleep(0.01)


async def test_an_unreachable_sqlite_file_is_not_ready(tmp_path: Path) -> None:
    db = create_engine(f"sqlite+aiosqlite:///{tmp_path}")  # a folder, not a database file
    try:
        result = await readiness(db, head_revision())
    finally:
        await db.dispose()
        await _sqlite_threads_done()
    assert (result.ready, result.reason, result.revision) == (False, "database unreachable", None)


async def test_an_unreachable_postgres_is_not_ready_and_says_no_more() -> None:
    url = f"postgresql+asyncpg://weeraan:s3cret-password@127.0.0.1:{_closed_port()}/weeraan"
    db = create_engine(url)
    try:
        result = await readiness(db, head_revision())
    finally:
        await db.dispose()
    assert (result.ready, result.reason) == (False, "database unreachable")
    assert "s3cret" not in str(result.body()) and "127.0.0.1" not in str(result.body())


@pytest.mark.postgres
async def test_the_app_turns_not_ready_when_postgres_goes_away(postgres_url: str) -> None:
    """A database of its own (this test drops it while the app runs)."""
    name = f"weeraan_ready_{uuid.uuid4().hex[:12]}"
    _admin(postgres_url, f'CREATE DATABASE "{name}"')
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    try:
        db = create_engine(url)
        await upgrade(db)
        await db.dispose()
        settings = Settings(database_url=url, widget=GENEROUS)
        async with running(settings) as app, connect(app) as http:
            ready = await http.get("/readyz")
            _admin(postgres_url, f'DROP DATABASE "{name}" WITH (FORCE)')
            gone = await http.get("/readyz")
            alive = await http.get("/healthz")
    finally:
        _admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert ready.status_code == 200
    assert gone.status_code == 503
    assert gone.json() == {
        "status": "not ready",
        "reason": "database unreachable",
        "revision": None,
    }
    assert alive.status_code == 200

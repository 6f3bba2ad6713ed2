"""``create_app(demo=True)``: slots for 10 working days and a fresh ``demo`` login, printed once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff.conftest import staff_settings
from tests.webhook.test_widget_api import connect
from webhook.app import create_app
from webhook.tables import staff

TOKEN = re.compile(r"wa_staff_[A-Za-z0-9_-]{43}")


async def start_demo_app(url: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Start and stop the app in demo mode; the token it printed."""
    settings = staff_settings(url)
    app = create_app(settings, demo=True, base_url="http://127.0.0.1:9999")
    async with app.router.lifespan_context(app):
        pass
    printed = capsys.readouterr().out
    assert "http://127.0.0.1:9999/staff/login" in printed
    tokens = TOKEN.findall(printed)
    assert len(tokens) == 1
    return str(tokens[0])


async def test_each_demo_start_prints_a_new_working_token(
    sqlite_url: str, sqlite_engine: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    first = await start_demo_app(sqlite_url, capsys)
    second = await start_demo_app(sqlite_url, capsys)
    assert first != second
    async with sqlite_engine.connect() as connection:
        rows = (await connection.execute(select(staff.c.name, staff.c.active))).all()
    assert sorted((row.name, bool(row.active)) for row in rows) == [
        ("demo", False),
        ("demo", True),
    ]
    app = create_app(staff_settings(sqlite_url))
    async with app.router.lifespan_context(app), connect(app) as http:
        for token, status in [(first, 401), (second, 200)]:
            headers = {"Authorization": f"Bearer {token}"}
            response = await http.get("/api/staff/slots", headers=headers)
            assert response.status_code == status
        assert capsys.readouterr().out == ""  # without demo nothing is printed


async def test_without_demo_no_staff_member_is_made(
    sqlite_url: str, sqlite_engine: AsyncEngine
) -> None:
    app = create_app(staff_settings(sqlite_url))
    async with app.router.lifespan_context(app):
        pass
    async with sqlite_engine.connect() as connection:
        assert (await connection.execute(select(staff))).all() == []

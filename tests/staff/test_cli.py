"""``weeraan staff add | list | revoke`` and ``weeraan serve --demo``, run as subprocesses."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.staff.conftest import staff_settings
from tests.webhook.test_widget_api import connect, running
from webhook.booking.schedule import add_working_days, is_working_day

pytestmark = pytest.mark.slow

TIMEOUT = 60
TOKEN = re.compile(r"wa_staff_[A-Za-z0-9_-]{43}")


def environment(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEERAAN_")}
    clean["WEERAAN_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'staff.db'}"
    clean["PYTHONIOENCODING"] = "utf-8"
    return clean


def weeraan(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "weeraan", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=environment(tmp_path),
        timeout=TIMEOUT,
        check=False,
    )


def stored_staff(tmp_path: Path) -> list[tuple[str, str, int]]:
    connection = sqlite3.connect(tmp_path / "staff.db")
    try:
        rows = connection.execute("SELECT name, token_hash, active FROM staff ORDER BY id")
        return [tuple(row) for row in rows.fetchall()]
    finally:
        connection.close()


async def test_staff_add_prints_a_working_token_once_and_stores_its_hash(
    tmp_path: Path,
) -> None:
    added = weeraan("staff", "add", "Anna", tmp_path=tmp_path)
    assert added.returncode == 0, added.stderr
    tokens = TOKEN.findall(added.stdout)
    assert len(tokens) == 1
    (token,) = tokens
    assert "Anna" in added.stdout
    assert token not in added.stderr
    ((name, token_hash, active),) = stored_staff(tmp_path)
    assert (name, active) == ("Anna", 1)
    assert token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token.encode() not in (tmp_path / "staff.db").read_bytes()

    listed = weeraan("staff", "list", tmp_path=tmp_path)
    assert listed.returncode == 0
    assert "Anna" in listed.stdout
    assert "active" in listed.stdout
    assert not TOKEN.search(listed.stdout)
    assert token_hash not in listed.stdout

    twice = weeraan("staff", "add", "Anna", tmp_path=tmp_path)
    assert twice.returncode == 1
    assert "already" in twice.stderr
    assert not TOKEN.search(twice.stdout)

    settings = staff_settings(environment(tmp_path)["WEERAAN_DATABASE_URL"])
    headers = {"Authorization": f"Bearer {token}"}
    async with running(settings) as app, connect(app) as http:
        assert (await http.get("/api/staff/bookings", headers=headers)).status_code == 200

    revoked = weeraan("staff", "revoke", "Anna", tmp_path=tmp_path)
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in weeraan("staff", "list", tmp_path=tmp_path).stdout
    async with running(settings) as app, connect(app) as http:
        assert (await http.get("/api/staff/bookings", headers=headers)).status_code == 401
    again = weeraan("staff", "revoke", "Anna", tmp_path=tmp_path)
    assert again.returncode == 1


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, "bell\x07"])
def test_staff_add_refuses_bad_names(tmp_path: Path, name: str) -> None:
    result = weeraan("staff", "add", name, tmp_path=tmp_path)
    assert result.returncode == 1
    assert not TOKEN.search(result.stdout)


def test_staff_list_without_members(tmp_path: Path) -> None:
    result = weeraan("staff", "list", tmp_path=tmp_path)
    assert result.returncode == 0
    assert "weeraan staff add" in result.stdout


# -- serve --demo ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``weeraan serve --demo`` on a free port: its base URL and the demo token it printed."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "weeraan", "serve", "--demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=environment(tmp_path),
    )
    try:
        assert process.stdout is not None
        output = ""
        deadline = time.monotonic() + TIMEOUT
        while not TOKEN.search(output) and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            output += line
        match = TOKEN.search(output)
        assert match, output
        base = f"http://127.0.0.1:{port}"
        assert f"{base}/staff/login" in output
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, match.group(0)
    finally:
        process.terminate()
        try:
            process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def test_serve_demo_prints_a_staff_login_and_seeds_ten_working_days(
    demo_server: tuple[str, str],
) -> None:
    base, token = demo_server
    headers = {"Authorization": f"Bearer {token}"}
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    last = add_working_days(today, 10)
    params = {"from": today.isoformat(), "to": (last + timedelta(days=1)).isoformat()}
    response = httpx.get(f"{base}/api/staff/slots", headers=headers, params=params, timeout=10)
    assert response.status_code == 200, response.text
    days = {datetime.fromisoformat(s["starts_at"]).date() for s in response.json()}
    ahead = [today + timedelta(days=n) for n in range(1, (last - today).days + 1)]
    working = {day for day in ahead if is_working_day(day)}
    assert len(working) == 10
    assert working <= days
    login = httpx.get(f"{base}/staff/login", timeout=10)
    assert login.status_code == 200

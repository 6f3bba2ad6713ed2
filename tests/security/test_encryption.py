"""Encryption at rest: what a copy of the database file or a dump gives away (nothing personal).

A resident books through the real widget API (with an e-mail address, so every personal
field is filled and the caseworkers' notifications are in the outbox); then the raw SQLite
file with its WAL, or a ``pg_dump`` of PostgreSQL, is searched for the name, phone number and
e-mail address. The staff API still shows them, decrypted.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TEST_KEY, TEST_VAULT
from tests.staff.conftest import StaffApp, first_option, later_day, to_days
from tests.webhook.test_widget_api import GENEROUS, running
from webhook.crypto import KEY_FILE, Vault, VaultError, is_sealed, new_key, read_key_file
from webhook.db import create_engine
from webhook.settings import Settings
from webhook.tables import bookings, conversations, outbox

ROOT = Path(__file__).resolve().parents[2]
NAME = "Zwaantje Qwertyvanger"
PHONE_TYPED = "06 47391826"
PHONE_DIGITS = "47391826"  # in every form it could be stored in (+31647391826, 0647391826)
EMAIL = "zwaantje.q@example.org"
SECRETS = (NAME, PHONE_DIGITS, EMAIL, "Qwertyvanger")


async def book_with_email(app: StaffApp) -> str:
    chat, days = await to_days(app.http)
    times = await chat.send(option=later_day(days))
    await chat.send(option=first_option(times, "slot:"))
    await chat.send(text=NAME)
    await chat.send(text=PHONE_TYPED)
    await chat.send(text=EMAIL)
    booked = await chat.send(option="summary:confirm")
    said = "\n".join(message["text"] for message in booked["messages"])
    assert "WA-" in said, said
    return said.split("WA-", 1)[1][:4].join(["WA-", ""])


def found_in(data: bytes) -> list[str]:
    return [secret for secret in SECRETS if secret.encode() in data]


def sqlite_bytes(url: str) -> bytes:
    path = Path(make_url(url).database or "")
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def pg_dump(url: str) -> bytes:
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    result = subprocess.run(
        ["pg_dump", "--data-only", "--no-owner", plain], capture_output=True, check=True
    )
    assert b"COPY public.bookings" in result.stdout, "the dump has the data"
    return result.stdout


async def test_a_booking_leaves_no_personal_data_in_the_stored_bytes(
    any_staff_app: StaffApp,
) -> None:
    app = any_staff_app
    reference = await book_with_email(app)

    # The caseworker still reads everything, decrypted.
    detail = (await app.get(f"/bookings/{reference}")).json()
    assert detail["name"] == NAME
    assert detail["phone"].endswith(PHONE_DIGITS)
    assert detail["email"] == EMAIL
    events = await app.outbox_events(reference)
    assert "booking.created" in events, "the notifications were written (sealed)"

    url = app.settings.database_url
    stored = sqlite_bytes(url) if url.startswith("sqlite") else pg_dump(url)
    assert reference.encode() in stored, "the search would have seen plain text"
    assert found_in(stored) == []

    async with app.db.connect() as connection:
        row = (
            await connection.execute(select(bookings).where(bookings.c.reference == reference))
        ).one()
        states = (await connection.execute(select(conversations.c.state))).scalars().all()
        payloads = (await connection.execute(select(outbox.c.payload))).scalars().all()
    assert all(is_sealed(value) for value in (row.name, row.phone, row.email))
    assert states and all(is_sealed(state) for state in states)
    assert payloads and all(is_sealed(payload) for payload in payloads)
    answers = json.loads(TEST_VAULT.open_text(states[0]))["answers"]
    assert answers["name"] == NAME


async def test_the_sqlite_wal_holds_no_personal_data_while_the_app_runs(
    sqlite_url: str,
) -> None:
    from tests.staff.conftest import staff_app_on

    db = create_engine(sqlite_url)
    try:
        async with staff_app_on(sqlite_url, db) as app:
            await book_with_email(app)
            wal = Path(make_url(sqlite_url).database or "").with_name("weeraan.db-wal")
            assert wal.exists()
            assert found_in(sqlite_bytes(sqlite_url)) == []
    finally:
        await db.dispose()


# -- the key file of the embedded default -----------------------------------------------------


async def test_without_keys_sqlite_creates_a_0600_key_file_once_and_reuses_it(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEERAAN_KEYS")
    monkeypatch.setattr(os, "umask", os.umask)  # restored below, whatever the test does
    old_umask = os.umask(0o022)  # a usual umask: files would be 0644 if not asked for 0600
    try:
        settings = Settings(database_url=sqlite_url, widget=GENEROUS)
        assert settings.key_list == []
        key_file = Path(make_url(sqlite_url).database or "").parent / KEY_FILE
        assert not key_file.exists()
        async with running(settings):
            pass
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = read_key_file(key_file)
    assert len(first) == 1
    async with running(settings):
        pass
    assert read_key_file(key_file) == first, "reused, not replaced"
    assert Vault.configured([], sqlite_url).keys == tuple(first)


def test_postgres_without_keys_refuses_to_start() -> None:
    with pytest.raises(VaultError, match="WEERAAN_KEYS is not set"):
        Vault.configured([], "postgresql+asyncpg://weeraan@db/weeraan")


def test_a_postgres_start_without_keys_exits_with_a_clear_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEERAAN_")}
    env["WEERAAN_DATABASE_URL"] = "postgresql+asyncpg://weeraan@127.0.0.1:1/none"
    result = subprocess.run(
        [sys.executable, "-m", "weeraan", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "WEERAAN_KEYS is not set" in result.stderr
    assert "Traceback" not in result.stderr


# -- wrong keys fail loudly ---------------------------------------------------------------------


def test_a_wrong_key_fails_loudly_and_plain_legacy_values_pass() -> None:
    sealed = TEST_VAULT.seal(NAME)
    assert sealed is not None and sealed.startswith("v1:") and NAME not in sealed
    assert TEST_VAULT.open(sealed) == NAME
    with pytest.raises(VaultError, match="cannot be decrypted"):
        Vault([new_key()]).open(sealed)
    with pytest.raises(VaultError):
        Vault.unkeyed().open(sealed)
    with pytest.raises(VaultError):
        TEST_VAULT.open(sealed[:-8] + "AAAAAAA=")  # tampered: the HMAC does not match
    assert TEST_VAULT.open("[gewist]") == "[gewist]", "values from before encryption pass"
    assert TEST_VAULT.open(None) is None


async def test_the_app_refuses_to_start_with_keys_that_do_not_fit(
    any_staff_app: StaffApp,
) -> None:
    await book_with_email(any_staff_app)
    wrong = any_staff_app.settings.model_copy(update={"keys": None})
    wrong = Settings(database_url=wrong.database_url, widget=GENEROUS, keys=new_key())
    with pytest.raises(VaultError, match="cannot be decrypted"):
        async with running(wrong):
            pass


# -- WEERAAN_KEYS validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("not-a-key", "key 1 of 1 is not a Fernet key"),
        (f"{TEST_KEY},short", "key 2 of 2 is not a Fernet key"),
        (f"{TEST_KEY},,{TEST_KEY}", "key 2 of 3 is not a Fernet key"),
        ("x" * 44, "key 1 of 1 is not a Fernet key"),
    ],
)
def test_wrong_keys_are_named_by_place_never_echoed(value: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(keys=value)
    message = str(caught.value)
    assert "WEERAAN_KEYS" in message and problem in message
    assert TEST_KEY not in message and "not-a-key" not in message and "short" not in message


def test_keys_are_read_from_the_environment_newest_first() -> None:
    newer = new_key()
    settings = Settings(keys=f" {newer} , {TEST_KEY} ")
    assert settings.key_list == [newer, TEST_KEY]
    assert TEST_KEY not in repr(settings)
    assert Settings(keys="").key_list == []


def test_the_cli_reports_a_bad_key_without_a_traceback(tmp_path: Path) -> None:
    result = weeraan("keys", "rotate", tmp_path=tmp_path, WEERAAN_KEYS="oops!" + TEST_KEY[5:])
    assert result.returncode == 2
    assert "WEERAAN_KEYS: key 1 of 1 is not a Fernet key" in result.stderr
    assert TEST_KEY[5:] not in result.stderr
    assert "Traceback" not in result.stderr


# -- rotation -------------------------------------------------------------------------------


def weeraan(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEERAAN_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "weeraan", *args],
        env=clean,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def opened(vault: Vault, values: list[str]) -> list[str]:
    return sorted(vault.open_text(value) for value in values)


async def sealed_values(db: AsyncEngine) -> list[str]:
    async with db.connect() as connection:
        values = [
            *(await connection.execute(select(bookings.c.name, bookings.c.phone))).all(),
            *(await connection.execute(select(conversations.c.state))).all(),
            *(await connection.execute(select(outbox.c.payload))).all(),
        ]
    found = [value for row in values for value in row]
    assert found and all(is_sealed(value) for value in found)
    return found


async def test_rotate_with_env_keys_re_encrypts_under_a_new_key(
    any_staff_app: StaffApp, tmp_path: Path
) -> None:
    app = any_staff_app
    reference = await book_with_email(app)
    before = await sealed_values(app.db)

    url = app.settings.database_url
    # In a thread: the app's jobs share this event loop and must not freeze mid-transaction.
    result = await asyncio.to_thread(
        weeraan,
        "keys",
        "rotate",
        tmp_path=tmp_path,
        WEERAAN_DATABASE_URL=url,
        WEERAAN_KEYS=TEST_KEY,
    )
    assert result.returncode == 0, result.stderr
    new = next(line for line in result.stdout.splitlines() if len(line) == 44)
    assert "put it first in WEERAAN_KEYS" in result.stdout
    assert TEST_KEY not in result.stdout, "the old keys are not printed"

    after = await sealed_values(app.db)
    assert len(after) == len(before) and set(after).isdisjoint(before)
    rotated = Vault([new, TEST_KEY])
    plain = opened(TEST_VAULT, before)
    assert opened(rotated, after) == plain
    assert opened(Vault([new]), after) == plain
    with pytest.raises(VaultError):
        TEST_VAULT.open(after[0])  # the old key alone no longer reads them

    # Again, with the new list: harmless, and everything is under the newest key.
    again = await asyncio.to_thread(
        weeraan,
        "keys",
        "rotate",
        tmp_path=tmp_path,
        WEERAAN_DATABASE_URL=url,
        WEERAAN_KEYS=f"{new},{TEST_KEY}",
    )
    assert again.returncode == 0, again.stderr
    newest = next(line for line in again.stdout.splitlines() if len(line) == 44)
    final = await sealed_values(app.db)
    assert opened(Vault([newest]), final) == plain

    # The app on the new key list shows the booking as before.
    restarted = Settings(database_url=url, widget=GENEROUS, keys=f"{newest},{new}")
    async with running(restarted):
        pass
    assert reference


async def test_rotate_with_the_key_file_keeps_the_old_key_for_reading(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEERAAN_KEYS")
    from tests.staff.conftest import staff_app_on

    db = create_engine(sqlite_url)
    try:
        async with staff_app_on(sqlite_url, db) as app:
            await book_with_email(app)
        key_file = Path(make_url(sqlite_url).database or "").parent / KEY_FILE
        [old] = read_key_file(key_file)
        before = await sealed_values(db)
        result = weeraan("keys", "rotate", tmp_path=tmp_path, WEERAAN_DATABASE_URL=sqlite_url)
        assert result.returncode == 0, result.stderr
        assert str(key_file) in result.stdout
        keys = read_key_file(key_file)
        assert len(keys) == 2 and keys[1] == old and keys[0] not in result.stdout
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        after = await sealed_values(db)
        old_vault = Vault([old])
        assert opened(Vault([keys[0]]), after) == opened(old_vault, before)
        with pytest.raises(VaultError):
            old_vault.open(after[0])
        async with running(Settings(database_url=sqlite_url, widget=GENEROUS)):
            assert found_in(sqlite_bytes(sqlite_url)) == []  # starts with the rotated file
    finally:
        await db.dispose()


async def test_a_callback_phone_is_sealed_and_fits_its_column(any_staff_app: StaffApp) -> None:
    app = any_staff_app
    await app.request_callback(resident="77", urgent=True, phone="+31647391826")
    [listed] = (await app.get("/callbacks")).json()
    assert listed["phone"] == "+31647391826"
    url = app.settings.database_url
    stored = sqlite_bytes(url) if url.startswith("sqlite") else pg_dump(url)
    assert found_in(stored) == []

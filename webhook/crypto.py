"""Encryption at rest: residents' personal data is sealed before it is written, opened when read.

A ``Vault`` holds the Fernet keys (``MultiFernet``: the first key encrypts, every key
decrypts). A sealed value is ``v1:`` + a Fernet token (AES-128-CBC with HMAC-SHA256, so a
wrong key fails loudly instead of giving garbage); a value without the prefix is plain text
from before encryption (or an erased ``[gewist]``) and is returned as it is.

What is sealed (the columns nothing is looked up by): ``conversations.state`` (every answer,
as one JSON document), ``bookings.name/phone/email``, ``callback_requests.phone`` and
``outbox.payload``. Status, dates, references, channel and external id stay plain.

Where the keys come from (``Vault.configured``): ``WEERAAN_KEYS`` (comma-separated Fernet
keys, newest first); else, on an SQLite file, the key file ``weeraan.key`` next to the
database, created with mode 0600 on first start; else (PostgreSQL without keys) nothing:
the process refuses to start. The Vault is built once by the composition root and passed
down, never looked up globally.
"""

from __future__ import annotations

import binascii
import logging
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Final

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Table, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

PREFIX: Final = "v1:"
KEY_FILE: Final = "weeraan.key"
PERSONAL_FIELDS: Final = ("name", "phone", "email")
_KEY_FILE_HEADER: Final = (
    "# WeerAan's encryption keys: the first one encrypts, all of them decrypt.\n"
    "# Keep this file secret (mode 0600) and back it up: without it the data is lost.\n"
)

log = logging.getLogger(__name__)


class VaultError(RuntimeError):
    """A stored value cannot be decrypted, or no key is configured where one is needed."""


def check_key(text: str) -> str:
    """``text`` as a Fernet key (stripped), or ``ValueError`` that does not repeat the key."""
    key = text.strip()
    try:
        Fernet(key.encode("ascii"))
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError):
        raise ValueError(
            "not a Fernet key (44 characters of URL-safe base64, e.g. from `weeraan keys generate`)"
        ) from None
    return key


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


class Vault:
    """Seals and opens text with the configured keys; the first key encrypts."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._keys = tuple(check_key(key) for key in keys)
        self._fernet = (
            MultiFernet([Fernet(key.encode("ascii")) for key in self._keys]) if self._keys else None
        )

    @classmethod
    def unkeyed(cls) -> Vault:
        """No keys: seals nothing. Only for parts built by hand in tests; the composition
        root always builds a keyed Vault (``Vault.configured``)."""
        return cls(())

    @classmethod
    def configured(cls, keys: Sequence[str], database_url: str) -> Vault:
        """The keys from ``WEERAAN_KEYS``; else SQLite's key file (created on first start)."""
        if keys:
            return cls(keys)
        url = make_url(database_url)
        if url.get_backend_name() != "sqlite":
            raise VaultError(
                "WEERAAN_KEYS is not set: a PostgreSQL database needs an encryption key. "
                "Make one with `weeraan keys generate` and set WEERAAN_KEYS to it."
            )
        path = key_file_for(database_url)
        if path is None:  # in-memory SQLite: the data dies with the process, so may the key
            return cls([new_key()])
        if path.exists():
            return cls(read_key_file(path))
        return cls([create_key_file(path)])

    @property
    def keyed(self) -> bool:
        return self._fernet is not None

    @property
    def keys(self) -> tuple[str, ...]:
        return self._keys

    def seal(self, value: str | None) -> str | None:
        if value is None or self._fernet is None:
            return value
        return PREFIX + self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def open(self, value: str | None) -> str | None:
        if value is None or not is_sealed(value):
            return value
        if self._fernet is None:
            raise VaultError("a stored value is encrypted, but no key is configured")
        try:
            plain = self._fernet.decrypt(value[len(PREFIX) :].encode("ascii"))
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise VaultError(
                "a stored value cannot be decrypted with the configured keys "
                "(WEERAAN_KEYS or weeraan.key): was a key removed or replaced?"
            ) from exc
        return plain.decode("utf-8")

    def seal_text(self, value: str) -> str:
        sealed = self.seal(value)
        assert sealed is not None
        return sealed

    def open_text(self, value: str) -> str:
        opened = self.open(value)
        assert opened is not None
        return opened

    def reseal(self, value: str | None) -> str | None:
        """``value`` under the first key: sealed values re-encrypted, plain ones sealed."""
        if value is None:
            return None
        if self._fernet is None:
            raise VaultError("no key to re-encrypt with")
        if not is_sealed(value):
            return self.seal(value)
        self.open(value)  # a clear error, not InvalidToken, if no key fits
        token = self._fernet.rotate(value[len(PREFIX) :].encode("ascii"))
        return PREFIX + token.decode("ascii")

    def open_row(self, row: Any, fields: Iterable[str] = PERSONAL_FIELDS) -> Any:
        """A copy of a result row with its personal ``fields`` decrypted (attribute access)."""
        values = dict(row._mapping)
        for name in fields:
            if name in values:
                values[name] = self.open(values[name])
        return SimpleNamespace(**values)


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


# -- the key file (the embedded SQLite default) ---------------------------------------------


def key_file_for(database_url: str) -> Path | None:
    """``weeraan.key`` next to an SQLite database file; ``None`` for memory or PostgreSQL."""
    url = make_url(database_url)
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in {"", ":memory:"}:
        return None
    return Path(database).expanduser().resolve().parent / KEY_FILE


def read_key_file(path: Path) -> list[str]:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s can be read by others (mode %o): chmod 600 it", path, mode)
    lines = path.read_text(encoding="ascii").splitlines()
    keys = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if not keys:
        raise VaultError(f"{path} holds no key")
    try:
        return [check_key(key) for key in keys]
    except ValueError as exc:
        raise VaultError(f"{path}: {exc}") from None


def create_key_file(path: Path) -> str:
    """Write a new key to ``path`` with mode 0600; if another process won, use its key."""
    key = new_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_key_file(path)[0]
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(_KEY_FILE_HEADER + key + "\n")
    log.warning("created the encryption key file %s: back it up, keep it secret", path)
    return key


def write_key_file(path: Path, keys: Sequence[str]) -> None:
    """Replace ``path`` atomically with ``keys`` (first encrypts), mode 0600."""
    temporary = path.with_name(path.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(_KEY_FILE_HEADER + "".join(f"{key}\n" for key in keys))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


# -- what is sealed, for rotation and the start-up check -------------------------------------


def sealed_columns() -> list[tuple[Table, tuple[str, ...]]]:
    from webhook.tables import bookings, callback_requests, conversations, outbox

    return [
        (conversations, ("state",)),
        (bookings, PERSONAL_FIELDS),
        (callback_requests, ("phone",)),
        (outbox, ("payload",)),
    ]


async def reseal_all(engine: AsyncEngine, vault: Vault) -> dict[str, int]:
    """Re-encrypt every personal value under the vault's first key (and seal plain ones).

    One transaction per table; running it again is harmless. Returns rows changed per table.
    """
    from webhook.db import writer

    changed: dict[str, int] = {}
    for table, columns in sealed_columns():
        keys = list(table.primary_key.columns)
        count = 0
        async with writer(engine).begin() as connection:
            rows = (await connection.execute(select(*keys, *(table.c[c] for c in columns)))).all()
            for row in rows:
                values = {c: vault.reseal(getattr(row, c)) for c in columns}
                where = [key == getattr(row, key.name) for key in keys]
                await connection.execute(update(table).where(*where).values(**values))
                count += 1
        changed[table.name] = count
    return changed


async def check_keys(engine: AsyncEngine, vault: Vault) -> None:
    """Fail at start-up, not at the first resident, if the keys do not fit the data."""
    for table, columns in sealed_columns():
        column = table.c[columns[0]]
        statement = select(column).where(column.like(f"{PREFIX}%")).limit(1)
        async with engine.connect() as connection:
            value = await connection.scalar(statement)
        vault.open(value)

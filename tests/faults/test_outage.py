"""Which failures are the database being away (a 503) and which are bugs (a 500)."""

from __future__ import annotations

import asyncpg
import pytest
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import SendMessage
from sqlalchemy import exc as sa

from webhook.outage import is_outage


def caused_by(error: BaseException, cause: BaseException) -> BaseException:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connection refused"),
        sa.OperationalError("SELECT 1", {}, Exception("server closed the connection")),
        sa.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True),
        caused_by(RuntimeError("turn failed"), asyncpg.CannotConnectNowError("starting up")),
        caused_by(ValueError("x"), caused_by(KeyError("y"), asyncpg.AdminShutdownError("bye"))),
    ],
)
def test_a_lost_or_refused_database_connection_is_an_outage(error: BaseException) -> None:
    assert is_outage(error)


@pytest.mark.parametrize(
    "error",
    [
        sa.IntegrityError("INSERT", {}, Exception("duplicate key")),
        sa.ProgrammingError("SELEC 1", {}, Exception("syntax error")),
        KeyError("a bug of our own"),
        caused_by(
            TelegramNetworkError(SendMessage(chat_id=1, text="x"), "down"),
            ConnectionRefusedError(111, "Connection refused"),
        ),
    ],
)
def test_a_bug_a_bad_statement_or_telegram_away_is_not(error: BaseException) -> None:
    assert not is_outage(error)


def test_a_cycle_of_causes_ends() -> None:
    first, second = RuntimeError("a"), RuntimeError("b")
    first.__context__, second.__context__ = second, first
    assert not is_outage(first)

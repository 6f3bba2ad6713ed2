"""A full conversation to a booked intake, over the widget API and over Telegram, with every
logger at DEBUG: the captured logs hold no name, phone number (as typed or E.164), e-mail
address, postcode, widget token or bot token."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from tests.fakes.telegram_api import FakeBotApi
from tests.staff.conftest import StaffApp, first_option, later_day, to_days
from tests.telegram.test_webhook import TOKEN, TOKEN_SECRET, Resident, telegram_app

NAME = "Fatima Zwanenburg-Öztürk"
PHONE_TYPED = "06 87654321"
PHONE_E164 = "+31687654321"
EMAIL = "fatima.zwanenburg@voorbeeld.nl"
POSTCODE = "1315 AB"


def everything_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    """The root logger and every logger known so far at DEBUG, all captured."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)


def captured(caplog: pytest.LogCaptureFixture) -> str:
    lines = []
    for record in caplog.records:
        lines.append(f"{record.name} {record.levelname} {record.getMessage()}")
        lines.append(repr(record.args))
        lines.append(repr(getattr(record, "__dict__", {})))
    return "\n".join(lines)


def assert_secret_free(logs: str, *secrets: str) -> None:
    assert "webhook." in logs or "sqlalchemy" in logs, "the app's logging was captured"
    for secret in secrets:
        assert secret not in logs, secret
    digits = re.sub(r"\D", "", PHONE_TYPED)
    assert digits not in re.sub(r"\D", "", logs.replace(PHONE_E164, "")), "phone digits"
    assert "87654321" not in logs
    assert "Zwanenburg" not in logs
    assert not re.search(r"1315\s*AB", logs, re.IGNORECASE), "postcode"


async def test_a_widget_booking_logs_no_personal_data_or_token(
    staff_app: StaffApp, caplog: pytest.LogCaptureFixture
) -> None:
    everything_at_debug(caplog)
    chat, days = await to_days(staff_app.http)
    times = await chat.send(option=later_day(days))
    await chat.send(option=first_option(times, "slot:"))
    await chat.send(text=NAME)
    await chat.send(text=PHONE_TYPED)
    await chat.send(text=EMAIL)
    booked = await chat.send(option="summary:confirm")
    said = "\n".join(message["text"] for message in booked["messages"])
    assert re.search(r"WA-[0-9A-Z]{4}", said), said
    detail: Any = (await staff_app.get("/bookings")).json()
    assert detail[0]["name"] == NAME
    assert_secret_free(captured(caplog), NAME, PHONE_TYPED, PHONE_E164, EMAIL, chat.token)


async def test_a_telegram_booking_logs_no_personal_data_or_token(
    sqlite_url: str, api_base: str, fake: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    everything_at_debug(caplog)
    async with telegram_app(sqlite_url, api_base) as (_, http):
        everything_at_debug(caplog)  # loggers created during start-up too
        resident = Resident(http, fake, user_id=8123)
        await resident.start()
        await resident.walk(["lang:nl", "privacy:agree", "gas:no", "medical:no",
                             "situation:letter", "energy:gas"])  # fmt: skip
        await resident.type("1315 AB 12")
        await resident.walk(["supplier:vattenfall", "debt:yes", "prevention:book", "mode:office"])
        await resident.press([o for o in resident.options() if o.startswith("day:")][-1])
        await resident.press(next(o for o in resident.options() if o.startswith("slot:")))
        await resident.type(NAME)
        await resident.type(PHONE_TYPED)
        await resident.type(EMAIL)
        assert "Klopt dit?" in resident.said(), resident.said()
        await resident.press("summary:confirm")
        assert "Uw afspraak staat vast" in resident.said()
        await fake.wait_for("sendMessage", 1)  # the caseworkers' chat is told
    assert_secret_free(captured(caplog), NAME, PHONE_TYPED, PHONE_E164, EMAIL, TOKEN, TOKEN_SECRET)

"""The one sender: Telegram's send limits and short retries, over real HTTP to a fake Bot API.

Spacing is measured on the fake's arrival times (``Call.at``); the per-minute group limit is
checked once with a small window over HTTP and once with a virtual clock and the real minute.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import SendMessage
from pydantic import SecretStr

from tests.fakes.telegram_api import TOKEN, Call, Fail, FakeBotApi, Hang, RetryAfter
from tests.outbox.helpers import free_port
from webhook.outbox.telegram_target import make_bot
from webhook.settings import TelegramSettings
from webhook.telegram.sender import (
    PRUNE_EVERY,
    Pace,
    RetryPolicy,
    Sender,
    SendLimits,
    Window,
    chat_key,
    is_group,
    is_send,
)

SLACK = 0.05  # scheduling and loopback jitter, in seconds
AT_ONCE = 0.25  # "went out at once": well under any spacing the limits would cause
QUICK = RetryPolicy(backoff=(0.02, 0.02))
GROUP = -1001234567890


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
async def base(api: FakeBotApi) -> AsyncIterator[str]:
    async with api.serve() as url:
        yield url
    assert api.unknown == []


@asynccontextmanager
async def bot_on(
    base: str,
    *,
    client_timeout: float = 5.0,
    limits: SendLimits | None = None,
    retry: RetryPolicy = QUICK,
    **rates: Any,
) -> AsyncIterator[Bot]:
    """A bot as the app builds it (``make_bot``), its limits from ``rates`` or ``limits``."""
    settings = TelegramSettings(token=SecretStr(TOKEN), api_base=base, **rates)
    bot = make_bot(settings, timeout=client_timeout, limits=limits, retry=retry)
    try:
        yield bot
    finally:
        await bot.session.close()


def times(calls: Sequence[Call]) -> list[float]:
    start = calls[0].at
    return [call.at - start for call in calls]


def texts(calls: Sequence[Call]) -> list[str]:
    return [call["text"] for call in calls]


# --- the limits -----------------------------------------------------------------------------


async def test_make_bot_puts_one_sender_with_the_settings_limits_on_the_session(
    base: str,
) -> None:
    async with bot_on(base, rate_global=12, rate_per_chat=2, rate_per_group_minute=7) as bot:
        (sender,) = [m for m in bot.session.middleware if isinstance(m, Sender)]
    assert sender.limits == SendLimits(
        per_second=12, per_chat_per_second=2, per_chat_burst=3, per_group=7, group_window=60
    )


async def test_sends_to_one_chat_are_spaced_after_a_short_burst_and_stay_in_order(
    base: str, api: FakeBotApi
) -> None:
    async with bot_on(base, rate_per_chat=5) as bot:
        await asyncio.gather(*(bot.send_message(4242, str(n)) for n in range(1, 7)))
    calls = api.calls_to("sendMessage")
    at = times(calls)
    assert texts(calls) == ["1", "2", "3", "4", "5", "6"]
    assert at[2] < AT_ONCE, "a burst of three goes at once"
    for later, gap in ((3, 0.2), (4, 0.4), (5, 0.6)):
        assert at[later] >= gap - SLACK, at
    assert at[5] < 0.6 + AT_ONCE


async def test_sends_to_different_chats_go_out_at_once(base: str, api: FakeBotApi) -> None:
    async with bot_on(base, rate_per_chat=5) as bot:
        await asyncio.gather(*(bot.send_message(chat, "hallo") for chat in range(1, 7)))
    calls = api.calls_to("sendMessage")
    assert len(calls) == 6
    assert times(calls)[-1] < AT_ONCE


async def test_a_group_gets_at_most_its_share_of_a_window(base: str, api: FakeBotApi) -> None:
    limits = SendLimits(per_chat_per_second=100, per_chat_burst=10, per_group=3, group_window=0.6)
    async with bot_on(base, limits=limits) as bot:
        group = [bot.send_message(GROUP, f"g{n}") for n in range(5)]
        private = [bot.send_message(4242, f"p{n}") for n in range(5)]
        await asyncio.gather(*group, *private)
    to_group = [c for c in api.calls_to("sendMessage") if c["chat_id"] == str(GROUP)]
    to_private = [c for c in api.calls_to("sendMessage") if c["chat_id"] == "4242"]
    assert texts(to_group) == ["g0", "g1", "g2", "g3", "g4"]
    assert to_group[2].at - to_group[0].at < AT_ONCE
    assert to_group[3].at - to_group[0].at >= 0.6 - SLACK
    assert to_group[4].at - to_group[1].at >= 0.6 - SLACK
    assert times(to_private)[-1] < AT_ONCE, "a private chat has no group limit"


class VirtualTime:
    """A clock that moves only when the sender sleeps (one waiter at a time)."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_a_group_gets_at_most_rate_per_group_minute_messages_a_minute() -> None:
    settings = TelegramSettings(rate_per_group_minute=3)
    time = VirtualTime()
    sender = Sender(SendLimits.from_settings(settings), clock=time.clock, sleep=time.sleep)
    sent_at: list[float] = []

    async def make_request(bot: Bot, method: Any) -> Any:
        sent_at.append(time.now)
        return True

    for n in range(7):
        await sender(make_request, cast(Bot, None), SendMessage(chat_id=GROUP, text=str(n)))
    assert sent_at == [0, 0, 0, 60, 60, 60, 120]


async def test_the_global_limit_holds_across_chats(base: str, api: FakeBotApi) -> None:
    async with bot_on(base, rate_global=10) as bot:
        await asyncio.gather(*(bot.send_message(chat, "hallo") for chat in range(1, 16)))
    at = times(api.calls_to("sendMessage"))
    assert len(at) == 15
    assert at[9] < AT_ONCE, "ten in the first second go at once"
    for n in range(5):
        assert at[n + 10] - at[n] >= 1.0 - SLACK, "never more than ten in a second"


async def test_methods_that_are_not_sends_are_not_throttled(base: str, api: FakeBotApi) -> None:
    async with bot_on(base, rate_global=1, rate_per_chat=1) as bot:
        await asyncio.gather(
            *(bot.answer_callback_query(f"query-{n}") for n in range(5)),
            *(bot.get_me() for _ in range(3)),
            bot.delete_webhook(),
        )
    assert len(api.calls) == 9
    assert times(api.calls)[-1] < AT_ONCE


# --- retries --------------------------------------------------------------------------------


async def test_a_429_waits_retry_after_and_holds_back_that_chat(base: str, api: FakeBotApi) -> None:
    api.script("sendMessage", RetryAfter(1))
    async with bot_on(base) as bot:
        first, second = await asyncio.gather(
            bot.send_message(4242, "first"), bot.send_message(4242, "second")
        )
    calls = api.calls_to("sendMessage")
    assert [(c["text"], c.answer) for c in calls] == [
        ("first", "429"),
        ("first", "ok"),
        ("second", "ok"),
    ]
    assert calls[1].at - calls[0].at >= 1.0 - SLACK
    assert (first.text, second.text) == ("first", "second")
    assert second.message_id == first.message_id + 1


async def test_a_429_longer_than_the_cap_is_raised_at_once(base: str, api: FakeBotApi) -> None:
    api.script("sendMessage", RetryAfter(60))
    async with bot_on(base, retry=RetryPolicy(max_retry_after=30)) as bot:
        with pytest.raises(TelegramRetryAfter) as raised:
            await bot.send_message(4242, "hallo")
    assert raised.value.retry_after == 60
    assert len(api.calls) == 1


async def test_a_server_error_is_retried(base: str, api: FakeBotApi) -> None:
    api.script("sendMessage", Fail(502))
    async with bot_on(base) as bot:
        message = await bot.send_message(4242, "hallo")
    assert [c.answer for c in api.calls] == ["502", "ok"]
    assert message.text == "hallo"


async def test_server_errors_past_the_retries_are_raised(base: str, api: FakeBotApi) -> None:
    api.script("sendMessage", Fail(500), Fail(502), Fail(503, "Service Unavailable"))
    async with bot_on(base) as bot:
        with pytest.raises(TelegramServerError):
            await bot.send_message(4242, "hallo")
    assert [c.answer for c in api.calls] == ["500", "502", "503"]


async def test_a_hung_request_times_out_and_is_retried(base: str, api: FakeBotApi) -> None:
    api.script("sendMessage", Hang(5.0))
    async with bot_on(base, client_timeout=0.3) as bot:
        message = await bot.send_message(4242, "hallo")
    calls = api.calls_to("sendMessage")
    assert [c.answer for c in calls] == ["hang", "ok"]
    assert calls[1].at - calls[0].at >= 0.3 - SLACK
    assert message.text == "hallo"


async def test_get_updates_is_left_to_the_polling_loop(base: str, api: FakeBotApi) -> None:
    api.script("getUpdates", Fail(502))
    async with bot_on(base) as bot:
        with pytest.raises(TelegramServerError):
            await bot.get_updates(timeout=0)
    assert len(api.calls) == 1


async def test_the_token_never_reaches_the_logs(
    base: str, api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.script("sendMessage", Fail(502), Hang(5.0), RetryAfter(1))
    async with bot_on(
        base, client_timeout=0.3, retry=RetryPolicy(backoff=(0.02, 0.02, 0.02))
    ) as bot:
        await bot.send_message(4242, "hallo")
    unreachable = f"http://127.0.0.1:{free_port()}"
    async with bot_on(unreachable) as bot:
        with pytest.raises(TelegramNetworkError) as raised:
            await bot.send_message(4242, "hallo")
    retries = [r for r in caplog.records if r.name == "webhook.telegram.sender"]
    assert len(retries) >= 5, "the retries are logged"
    secret = TOKEN.split(":")[1]
    for text in (caplog.text, str(raised.value), repr(raised.value)):
        assert secret not in text
        assert "/bot" not in text, "no Bot API URL"
    assert "4242" not in "".join(r.getMessage() for r in retries), "no chat ids"


# --- the parts ------------------------------------------------------------------------------


def test_a_pace_allows_a_burst_then_one_per_interval() -> None:
    pace = Pace(rate=1.0, burst=3)
    for _ in range(3):
        assert pace.delay(0.0) == 0
        pace.take(0.0)
    assert pace.delay(0.0) == pytest.approx(1.0)
    pace.take(1.0)
    assert pace.delay(1.0) == pytest.approx(1.0)
    assert not pace.idle(3.5)
    assert pace.idle(4.0)


def test_a_window_counts_the_last_period() -> None:
    window = Window(limit=2, period=60.0)
    window.take(0.0)
    window.take(10.0)
    assert window.delay(30.0) == pytest.approx(30.0)
    assert window.delay(60.0) == 0
    window.take(60.0)
    assert window.delay(60.0) == pytest.approx(10.0)
    assert window.idle(120.0)
    fractional = Window.per_second(7.5)
    assert [fractional.delay(0.0) for _ in range(1)] == [0]
    for _ in range(7):
        fractional.take(0.0)
    assert fractional.delay(0.0) == pytest.approx(7 / 7.5)


@pytest.mark.parametrize(
    ("method", "send"),
    [
        ("sendMessage", True),
        ("editMessageText", True),
        ("copyMessage", True),
        ("forwardMessages", True),
        ("sendChatAction", False),
        ("answerCallbackQuery", False),
        ("getMe", False),
        ("setWebhook", False),
    ],
)
def test_what_counts_as_a_send(method: str, send: bool) -> None:
    assert is_send(method) is send


def test_chat_keys_and_groups() -> None:
    assert chat_key("-1001234567890") == chat_key(-1001234567890) == GROUP
    assert chat_key("@WeerAan") == "@weeraan"
    assert chat_key(None) is None
    assert is_group(GROUP) and is_group("@weeraan")
    assert not is_group(4242)


async def test_chats_whose_limits_recovered_are_forgotten() -> None:
    time = VirtualTime()
    sender = Sender(clock=time.clock, sleep=time.sleep)

    async def make_request(bot: Bot, method: Any) -> Any:
        return True

    for chat in range(100):
        await sender(make_request, cast(Bot, None), SendMessage(chat_id=chat, text="hallo"))
    assert sender.chats_known == 100
    time.now += PRUNE_EVERY
    await sender(make_request, cast(Bot, None), SendMessage(chat_id=1, text="hallo"))
    assert sender.chats_known == 1

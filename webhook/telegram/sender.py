"""The one sender of the process: every Bot API request the bot makes itself goes through here.

A request middleware on the ``Bot``'s session (``make_bot`` registers it), so resident
replies sent outside the webhook answer, reminders and caseworker notifications share the
same limits (PRODUCT.md §3, Telegram's Bots FAQ):

- per chat, at most ``per_chat_per_second`` messages on average, with short bursts of
  ``per_chat_burst`` (a GCRA token bucket);
- per group (a negative chat id or an ``@username``), at most ``per_group`` messages in any
  ``group_window`` seconds (a sliding window: 20 per minute means 20, never 40 across the
  edge of a minute);
- all chats together, at most ``per_second`` messages in any second (a sliding window).

A send that is over a limit waits (asyncio) rather than fails. The sends to one chat queue
behind a lock, in order, so a 429 for that chat holds back the ones after it as well (also
when the sender gives that message back to the outbox after ``max_429_retries``).

Failures are retried briefly here (the outbox worker retries with its own, longer back-off):
a 429 waits ``retry_after`` if that is at most ``max_retry_after``, else it is raised at once;
5xx answers, network errors and timeouts are retried after each ``backoff`` delay. A timed
out send may have arrived: its retry may show the message twice, the lesser evil next to a
lost reminder.

Methods that are not sends (``getMe``, ``answerCallbackQuery``, ``setWebhook`` …) are not
throttled, only retried; ``getUpdates`` passes untouched (the dispatcher's polling loop has
its own back-off). Logs name the method and the error class, never the token, a URL, a
chat id or a text.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Protocol

from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError

from webhook.settings import TelegramSettings

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.client.session.middlewares.base import NextRequestMiddlewareType
    from aiogram.methods import Response, TelegramMethod
    from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

SEND_PREFIXES: Final = ("send", "copymessage", "forwardmessage", "editmessage")
NOT_SENDS: Final = frozenset({"sendchataction"})
UNTOUCHED: Final = frozenset({"getupdates"})
PRUNE_EVERY: Final = 60.0
"""Seconds between sweeps that forget chats whose limits have fully recovered."""

ChatKey = int | str


@dataclass(frozen=True)
class SendLimits:
    """Telegram's limits for a bot's own messages; a rate of 0 (or less) means no limit."""

    per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    per_group: int = 20
    group_window: float = 60.0

    @classmethod
    def from_settings(cls, telegram: TelegramSettings) -> SendLimits:
        return cls(
            per_second=telegram.rate_global,
            per_chat_per_second=telegram.rate_per_chat,
            per_group=telegram.rate_per_group_minute,
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Short retries only: the outbox worker backs off for longer on its own."""

    max_retry_after: float = 30.0
    """A 429 asking for a longer wait is raised at once (``DeliveryError(retry_after=…)``)."""
    max_429_retries: int = 3
    backoff: tuple[float, ...] = (0.5, 1.5)
    """The waits before retrying a 5xx, a network error or a timeout; one per retry."""


class Limit(Protocol):
    def delay(self, now: float) -> float:
        """Seconds until one more send is allowed (0: now)."""

    def take(self, now: float) -> None:
        """Count a send at ``now``."""

    def idle(self, now: float) -> bool:
        """Fully recovered: forgetting this limit changes nothing."""


class Pace:
    """A token bucket as GCRA: ``burst`` sends at once, then one per ``1 / rate`` seconds."""

    def __init__(self, rate: float, burst: int = 1) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a pace needs a positive rate and burst")
        self._interval = 1.0 / rate
        self._tolerance = (burst - 1) * self._interval
        self._tat = -math.inf  # theoretical arrival time of the next send

    def delay(self, now: float) -> float:
        return max(0.0, self._tat - self._tolerance - now)

    def take(self, now: float) -> None:
        self._tat = max(self._tat, now) + self._interval

    def idle(self, now: float) -> bool:
        return self._tat <= now


class Window:
    """At most ``limit`` sends in any ``period`` seconds."""

    def __init__(self, limit: int, period: float) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("a window needs a positive limit and period")
        self._limit = limit
        self._period = period
        self._times: deque[float] = deque()

    @classmethod
    def per_second(cls, rate: float) -> Window:
        """``rate`` sends a second as whole sends per window (7.5/s: 7 per 0.93 s)."""
        limit = max(1, math.floor(rate))
        return cls(limit, limit / rate)

    def _forget(self, now: float) -> None:
        while self._times and self._times[0] + self._period <= now:
            self._times.popleft()

    def delay(self, now: float) -> float:
        self._forget(now)
        if len(self._times) < self._limit:
            return 0.0
        return max(0.0, self._times[0] + self._period - now)

    def take(self, now: float) -> None:
        self._forget(now)
        self._times.append(now)

    def idle(self, now: float) -> bool:
        self._forget(now)
        return not self._times


@dataclass
class _Chat:
    """One chat's limits, and the lock its sends queue behind."""

    limits: list[Limit]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0
    resume_at: float = -math.inf
    """No send before this: the ``retry_after`` of the last 429, also when it was given up."""

    def idle(self, now: float) -> bool:
        return (
            self.users == 0
            and self.resume_at <= now
            and all(limit.idle(now) for limit in self.limits)
        )


def is_send(api_method: str) -> bool:
    name = api_method.lower()
    return name.startswith(SEND_PREFIXES) and name not in NOT_SENDS


def chat_key(chat_id: object) -> ChatKey | None:
    """``-100123`` and ``"-100123"`` are one chat; ``@Name`` and ``@name`` too."""
    if isinstance(chat_id, bool) or not isinstance(chat_id, int | str):
        return None
    if isinstance(chat_id, int):
        return chat_id
    text = chat_id.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    return text.lower() or None


def is_group(key: ChatKey) -> bool:
    """Groups, supergroups and channels have negative ids; only they have ``@usernames``."""
    return key < 0 if isinstance(key, int) else key.startswith("@")


class Sender(BaseRequestMiddleware):
    """Throttles sends to ``limits`` and retries failures per ``retry``; waits, never drops."""

    def __init__(
        self,
        limits: SendLimits | None = None,
        retry: RetryPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.limits = limits or SendLimits()
        self.retry = retry or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        rate = self.limits.per_second
        self._global = Window.per_second(rate) if 0 < rate < math.inf else None
        self._global_lock = asyncio.Lock()
        self._chats: dict[ChatKey, _Chat] = {}
        self._pruned = clock()

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = method.__api_method__
        if name.lower() in UNTOUCHED:
            return await make_request(bot, method)
        if not is_send(name):
            return await self._attempts(make_request, bot, method, None, throttled=False)
        key = chat_key(getattr(method, "chat_id", None))
        if key is None:  # an inline message: only the global limit applies
            return await self._attempts(make_request, bot, method, None, throttled=True)
        chat = self._chat(key)
        chat.users += 1
        try:
            async with chat.lock:
                return await self._attempts(make_request, bot, method, chat, throttled=True)
        finally:
            chat.users -= 1
            self._prune()

    async def _attempts(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
        chat: _Chat | None,
        *,
        throttled: bool,
    ) -> Response[TelegramType]:
        name = method.__api_method__
        waited_429 = 0
        failures = 0
        while True:
            if chat is not None:
                while (pause := chat.resume_at - self._clock()) > 0:
                    await self._sleep(pause)
                for limit in chat.limits:
                    await self._pass(limit, name)
            if throttled and self._global is not None:
                async with self._global_lock:
                    await self._pass(self._global, name)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                wait = float(error.retry_after)
                if chat is not None and wait <= self.retry.max_retry_after:
                    chat.resume_at = max(chat.resume_at, self._clock() + wait)
                if wait > self.retry.max_retry_after or waited_429 >= self.retry.max_429_retries:
                    raise
                waited_429 += 1
                log.warning("telegram %s: 429, retrying in %.0f s", name, wait)
                await self._sleep(wait)
            except (TelegramServerError, TelegramNetworkError, TimeoutError) as error:
                if failures >= len(self.retry.backoff):
                    raise
                wait = self.retry.backoff[failures]
                failures += 1
                kind = type(error).__name__
                log.warning("telegram %s: %s, retry %d in %.1f s", name, kind, failures, wait)
                await self._sleep(wait)

    async def _pass(self, limit: Limit, name: str) -> None:
        """Wait until ``limit`` allows one more send, and count it."""
        while (delay := limit.delay(self._clock())) > 0:
            log.debug("telegram %s waits %.2f s for %s", name, delay, type(limit).__name__)
            await self._sleep(delay)
        limit.take(self._clock())

    def _chat(self, key: ChatKey) -> _Chat:
        chat = self._chats.get(key)
        if chat is None:
            limits: list[Limit] = []
            rate = self.limits.per_chat_per_second
            if 0 < rate < math.inf:
                limits.append(Pace(rate, self.limits.per_chat_burst))
            if is_group(key) and self.limits.per_group > 0:
                limits.append(Window(self.limits.per_group, self.limits.group_window))
            chat = self._chats[key] = _Chat(limits)
        return chat

    def _prune(self) -> None:
        """Forget chats nobody is sending to whose limits have recovered (they start afresh)."""
        now = self._clock()
        if now - self._pruned < PRUNE_EVERY:
            return
        self._pruned = now
        self._chats = {key: chat for key, chat in self._chats.items() if not chat.idle(now)}

    @property
    def chats_known(self) -> int:
        return len(self._chats)

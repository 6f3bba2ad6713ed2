"""Everything a running WeerAan process holds: the backend, the bot and the background jobs.

Both ``weeraan serve`` (the app's lifespan) and ``weeraan bot`` (polling) start the same
set, in the same order, and stop it in reverse.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from webhook.compose import Backend, open_backend
from webhook.jobs import background_jobs
from webhook.settings import Settings
from webhook.telegram.claims import SqlClaims, staff_claim_keyboard
from webhook.telegram.runtime import TelegramRuntime, telegram_runtime


@dataclass(frozen=True)
class Process:
    backend: Backend
    telegram: TelegramRuntime | None


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Process]:
    async with (
        open_backend(settings) as backend,
        telegram_runtime(settings, backend.service, claims=SqlClaims(backend.db)) as telegram,
        background_jobs(
            settings=settings,
            db=backend.db,
            config=backend.config,
            translator=backend.service.translator,
            clock=backend.service.clock,
            bot=telegram.bot if telegram else None,
            staff_keyboard=staff_claim_keyboard,
        ),
    ):
        yield Process(backend, telegram)

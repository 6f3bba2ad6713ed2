"""The FastAPI application and its lifespan: the composition root of ``weeraan serve``."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from webhook import errors, health, metrics_http, security, site, staff, widget_api
from webhook.deps import Components
from webhook.logs import RequestIds
from webhook.outage import OutageGuard
from webhook.process import running
from webhook.settings import Settings
from webhook.staff.demo import announce, start_demo
from webhook.telegram import route as telegram_route
from webhook.telegram.runtime import register_webhook
from webhook.telegram.updates import UpdateLog
from webhook.widget_api import WidgetLimits
from webhook.widget_sessions import WidgetSessions

DESCRIPTION = """
WeerAan helps residents of Almere whose gas or electricity was cut off: it checks whether
they can be reconnected without a deposit and books an intake with PLANgroep.

The **widget API** (`/api/chat`) is what the website chat uses: `<script src="/widget.js"
defer></script>` on a site listed in `WEERAAN_WIDGET__ALLOWED_ORIGINS` adds it. The **staff API**
(`/api/staff`, `Authorization: Bearer <staff token>` from `weeraan staff add NAME`) is
what caseworkers' tools use; the dashboard at `/staff/` shows the same. Errors are JSON
`{"error": code, "message": text}`.
"""


def create_app(
    settings: Settings | None = None, *, demo: bool = False, base_url: str | None = None
) -> FastAPI:
    """The app; ``demo`` seeds slots and prints a staff login for ``base_url`` at start-up."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(settings) as process:
            backend, telegram = process.backend, process.telegram
            app.state.components = Components(
                settings=settings,
                db=backend.db,
                service=backend.service,
                widget_sessions=WidgetSessions(backend.db),
                widget_limits=WidgetLimits(
                    settings.widget.rate_per_ip_minute, settings.widget.rate_per_minute
                ),
                booking=backend.config,
                telegram_updates=UpdateLog(backend.db),
                telegram=telegram,
            )
            metrics.read_database(backend.db)
            if telegram is not None:
                await register_webhook(telegram, settings)
            if demo:
                login = await start_demo(backend.db, backend.config, now=datetime.now(UTC))
                announce(login, settings.public_url or base_url or "http://127.0.0.1:8000")
            # Start-up objects live for the whole process: keep them out of every later
            # full garbage collection (measured: ~100 ms pauses otherwise).
            gc.collect()
            gc.freeze()
            yield

    app = FastAPI(title="WeerAan", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    errors.install(app)
    app.include_router(widget_api.router)
    app.include_router(telegram_route.router)
    app.include_router(site.router)
    app.add_middleware(errors.BodyLimit)
    app.add_middleware(OutageGuard)
    health.install(app)
    metrics = metrics_http.install(app, settings.metrics)
    app.add_middleware(RequestIds)
    staff.install(app)
    security.install(app, settings)
    return app

"""The FastAPI application and its lifespan: the composition root of ``weeraan serve``."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from webhook import errors, widget_api
from webhook.compose import open_backend
from webhook.deps import Components
from webhook.settings import Settings
from webhook.widget_api import WidgetLimits
from webhook.widget_sessions import WidgetSessions

DESCRIPTION = """
WeerAan helps residents of Almere whose gas or electricity was cut off: it checks whether
they can be reconnected without a deposit and books an intake with PLANgroep.

The **widget API** (`/api/chat`) is what the website chat uses. Errors are JSON
`{"error": code, "message": text}`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_backend(settings) as backend:
            app.state.components = Components(
                settings=settings,
                db=backend.db,
                service=backend.service,
                widget_sessions=WidgetSessions(backend.db),
                widget_limits=WidgetLimits(
                    settings.widget.rate_per_ip_minute, settings.widget.rate_per_minute
                ),
            )
            # Start-up objects live for the whole process: keep them out of every later
            # full garbage collection (measured: ~100 ms pauses otherwise).
            gc.collect()
            gc.freeze()
            yield

    app = FastAPI(title="WeerAan", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    errors.install(app)
    app.include_router(widget_api.router)
    app.add_middleware(errors.BodyLimit)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    return app

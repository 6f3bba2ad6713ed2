"""Health for orchestrators and load balancers: ``/healthz`` (alive) and ``/readyz`` (ready).

``/healthz`` answers as long as the process serves HTTP: restart the process when it fails.
``/readyz`` also asks the database which migration it is at: ready when the database answers
and its Alembic revision is the head of this code's migration scripts. A load balancer sends
no traffic to an instance that is not ready — the database is down, or it was migrated to a
different schema (``weeraan db upgrade`` not run yet, or run by a newer release). Reasons are
short and fixed: never a driver's message, which may name hosts or users.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from webhook.deps import get_components
from webhook.migrate import current_revision, head_revision

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str
    revision: str | None

    def body(self) -> dict[str, Any]:
        status = "ready" if self.ready else "not ready"
        return {"status": status, "reason": self.reason, "revision": self.revision}


async def readiness(engine: AsyncEngine, head: str | None) -> Readiness:
    """Whether the database answers within the timeout and is migrated to ``head``."""
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            revision = await current_revision(engine)
    except Exception as exc:  # whatever the driver raises, the answer is "not ready"
        log.warning("readiness: the database did not answer (%s)", type(exc).__name__)
        return Readiness(False, "database unreachable", None)
    if revision != head:
        reason = f"migrations not current: database at {revision or 'none'}, code at {head}"
        return Readiness(False, reason, revision)
    return Readiness(True, "database reachable, migrations current", revision)


def install(app: FastAPI) -> None:
    """Add ``GET /healthz`` and ``GET /readyz`` to ``app``."""
    head = head_revision()
    router = APIRouter(tags=["operations"])
    ready_answers: dict[int | str, dict[str, Any]] = {
        503: {"description": "Not ready: the database is unreachable or not migrated to head"}
    }

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @router.get("/readyz", responses=ready_answers)
    async def readyz(request: Request) -> JSONResponse:
        """The database answers and its schema is at this code's newest migration."""
        result = await readiness(get_components(request).db, head)
        return JSONResponse(result.body(), status_code=200 if result.ready else 503)

    app.include_router(router)

"""Prometheus ``/metrics``: request latency per process, database figures (``webhook.metrics``).

Who may read it: with ``WEERAAN_METRICS__TOKEN`` set, anyone sending ``Authorization: Bearer
<token>`` (401 otherwise); without a token, only clients on this machine (127.0.0.1, ::1)
whose request carries no proxy header (``Forwarded``, ``X-Forwarded-For``, ``X-Real-IP``), so
a reverse proxy does not make it public by accident (403 otherwise).

Request latency is labelled by the route's template (``/api/chat/sessions/{session_id}``),
never the raw path, so no session id, token or reference reaches a label; requests that match
no route are ``unmatched``. Methods outside the usual set are ``other``; statuses are classes
(``2xx``).
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from typing import Final

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import GCCollector, Histogram, PlatformCollector, ProcessCollector
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import CollectorRegistry
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webhook.errors import error_response
from webhook.metrics import DatabaseCollector
from webhook.settings import MetricsSettings

METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
PROXY_HEADERS: Final = ("forwarded", "x-forwarded-for", "x-real-ip")
BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """One process's registry: its own collectors, request latency and the database figures."""

    def __init__(self, settings: MetricsSettings) -> None:
        self.settings = settings
        self.registry = CollectorRegistry()
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=self.registry)
        self.latency = Histogram(
            "weeraan_http_request_duration_seconds",
            "Time from request to the end of the response, by route template",
            ("route", "method", "status"),
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.database: DatabaseCollector | None = None

    def read_database(self, engine: AsyncEngine) -> None:
        """Serve the database figures from ``engine`` (called once the database is open)."""
        if self.database is not None:
            self.registry.unregister(self.database)
        self.database = DatabaseCollector(engine, cache_seconds=self.settings.cache_seconds)
        self.registry.register(self.database)

    async def exposition(self, accept: str) -> tuple[bytes, str]:
        """The metrics in the format the scraper asks for (Prometheus text or OpenMetrics)."""
        if self.database is not None:
            await self.database.refresh()
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type


def route_label(scope: Scope) -> str:
    """The matched route's template; ``unmatched`` when the router found none."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class RequestLatency:
    """ASGI middleware: observes every HTTP request's duration once its response is sent."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.latency = app, metrics.latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app fails before it answers

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.latency.labels(route_label(scope), method, f"{status // 100}xx").observe(
                time.perf_counter() - started
            )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(request: Request, token: SecretStr | None) -> Response | None:
    """Why ``request`` may not read the metrics, as the answer to give; ``None``: it may."""
    if token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = token.get_secret_value().encode()
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected):
            return None
        return error_response(
            401, "unauthorized", "Send the metrics token.", {"WWW-Authenticate": "Bearer"}
        )
    local = request.client is not None and _is_loopback(request.client.host)
    if local and not any(header in request.headers for header in PROXY_HEADERS):
        return None
    return error_response(
        403, "forbidden", "Metrics are served to this machine only, or with a token."
    )


def install(app: FastAPI, settings: MetricsSettings) -> Metrics:
    """Add request latency and ``GET /metrics`` to ``app``; returns the process's metrics."""
    metrics = Metrics(settings)
    router = APIRouter(include_in_schema=False)

    @router.get("/metrics")
    async def read_metrics(request: Request) -> Response:
        refused = refusal(request, settings.token)
        if refused is not None:
            return refused
        body, content_type = await metrics.exposition(request.headers.get("accept", ""))
        return Response(body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})

    app.include_router(router)
    app.add_middleware(RequestLatency, metrics=metrics)
    return metrics

"""Security headers and CORS on the public side: the demo page, the widget's files and the
widget API. The staff pages keep their own headers (``webhook.staff.headers``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from webhook.headers import AddHeaders
from webhook.settings import Settings
from webhook.staff.headers import is_staff_path

CONTENT_SECURITY_POLICY: Final = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",  # no inline script, no eval
        "style-src 'self'",  # no inline style: the widget's CSS is a file in its shadow root
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        # Sites embed the widget with a <script> tag, never a frame: nothing here is framed.
        "frame-ancestors 'none'",
    ]
)
HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# FastAPI's Swagger UI and ReDoc load their script and style from a CDN, inline.
DOCS: Final = ("/docs", "/redoc", "/openapi.json")
WIDGET_API: Final = "/api/chat"
CORS_METHODS: Final = ("GET", "POST", "DELETE")
CORS_HEADERS: Final = ("Authorization", "Content-Type")


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def is_public_path(path: str) -> bool:
    """Every path but the staff side (own headers) and the interactive API documentation."""
    return not is_staff_path(path) and not any(_under(path, prefix) for prefix in DOCS)


class WidgetCors:
    """CORS for the widget API only: the sites in ``WEERAAN_WIDGET__ALLOWED_ORIGINS`` may call
    it from their pages (same-origin needs no CORS). No cookies are involved, so no
    credentials; the token travels in the ``Authorization`` header."""

    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(origins),
            allow_methods=list(CORS_METHODS),
            allow_headers=list(CORS_HEADERS),
            allow_credentials=False,
            expose_headers=["Retry-After"],  # the widget waits that long after a 429
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _under(scope["path"], WIDGET_API):
            await self.cors(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install(app: FastAPI, settings: Settings) -> None:
    """Add CORS for the widget API and the public security headers (outermost, so that
    preflight answers and errors carry them too)."""
    app.add_middleware(WidgetCors, origins=settings.widget.allowed_origins)
    app.add_middleware(AddHeaders, headers=HEADERS, applies=is_public_path)

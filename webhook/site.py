"""The public website side: the chat widget's script and stylesheet, and the demo page at
``/`` (what the scheme is, who it is for, privacy, the widget and a way to the Telegram bot).
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import segno
from babel import Locale
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.templating import Jinja2Templates

from webhook.deps import get_components
from webhook.settings import Settings

ROOT: Final = Path(__file__).resolve().parent
STATIC: Final = ROOT / "static"
TEMPLATES: Final = ROOT / "templates"
ASSETS: Final = {
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "demo.css": "text/css; charset=utf-8",
}
CACHE_SECONDS: Final = 300  # short: a new widget version reaches every site within minutes

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Asset:
    """A static file with its gzip form and their entity tags."""

    body: bytes
    gzipped: bytes
    etag: str

    def response(self, request: Request, media_type: str) -> Response:
        zipped = "gzip" in request.headers.get("accept-encoding", "").lower()
        etag = f'"{self.etag}-gz"' if zipped else f'"{self.etag}"'
        headers = {
            "Cache-Control": f"public, max-age={CACHE_SECONDS}",
            "ETag": etag,
            "Vary": "Accept-Encoding",
        }
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        if zipped:
            headers["Content-Encoding"] = "gzip"
        body = self.gzipped if zipped else self.body
        return Response(body, media_type=media_type, headers=headers)


@lru_cache(maxsize=len(ASSETS) * 2)
def _asset(path: Path, _modified_ns: int) -> Asset:
    body = path.read_bytes()
    digest = hashlib.sha256(body).hexdigest()[:20]
    return Asset(body, gzip.compress(body, compresslevel=9, mtime=0), digest)


def asset(name: str) -> Asset:
    """The file ``webhook/static/<name>``, read again when it changes."""
    path = STATIC / name
    return _asset(path, path.stat().st_mtime_ns)


def _static_route(name: str) -> None:
    media_type = ASSETS[name]

    def serve(request: Request) -> Response:  # sync: FastAPI runs it in a thread (file I/O)
        return asset(name).response(request, media_type)

    serve.__name__ = f"static_{name.replace('.', '_')}"
    router.add_api_route(f"/{name}", serve, methods=["GET", "HEAD"], response_class=Response)


for _name in ASSETS:
    _static_route(_name)


# -- the demo page --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _templates() -> Jinja2Templates:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=environment)


def telegram_link(username: str | None) -> str | None:
    return f"https://t.me/{username}" if username else None


@lru_cache(maxsize=4)
def qr_svg(url: str) -> Markup:
    """The QR code of ``url`` as inline SVG (no style attributes: fine under the CSP)."""
    code = segno.make(url, error="m")
    title = f"QR-code voor {url}"
    svg = code.svg_inline(
        scale=5, border=2, dark="#1b1b1b", svgclass="qr", title=title, omitsize=True
    )
    # segno escapes the title itself; its output is markup by construction.
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704


def dutch_language_names(codes: list[str]) -> list[str]:
    names = Locale.parse("nl").languages
    return [names.get(code, code) for code in codes]


def _context(settings: Settings) -> dict[str, object]:
    link = telegram_link(settings.telegram.bot_username)
    return {
        "telegram_link": link,
        "telegram_name": settings.telegram.bot_username,
        "qr": qr_svg(link) if link else None,
        "languages": dutch_language_names(settings.languages),
        "conversation_days": settings.retention.conversation_days,
        "booking_days": settings.retention.booking_days,
    }


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def demo_page(request: Request) -> Response:
    """The information page about the scheme, with the widget embedded."""
    settings = get_components(request).settings
    response = _templates().TemplateResponse(request, "demo.html", _context(settings))
    response.headers["Cache-Control"] = "no-cache"
    return response

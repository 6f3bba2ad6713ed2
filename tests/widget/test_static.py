"""The widget's files, the demo page, the public security headers and CORS, without a browser.

The browser tests (``test_browser.py``) drive the same files in Chromium.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from tests.webhook.test_widget_api import GENEROUS, connect, running
from webhook.settings import Settings
from webhook.staff.headers import HEADERS as STAFF_HEADERS

STATIC = Path(__file__).resolve().parents[2] / "webhook" / "static"
SCRIPT = (STATIC / "widget.js").read_text(encoding="utf-8")
STYLESHEET = (STATIC / "widget.css").read_text(encoding="utf-8")
BUDGET = 15 * 1024  # bytes, gzipped, script and stylesheet together
SITE = "https://www.almere.example"
FOREIGN = "https://evil.example"
BOT = "WeerAanTestBot"
SESSIONS = "/api/chat/sessions"


def settings_for(sqlite_url: str, **overrides: object) -> Settings:
    widget = {**GENEROUS, "allowed_origins": f"{SITE}/"}  # a trailing slash is forgiven
    return Settings(database_url=sqlite_url, widget=widget, **overrides)


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    # Started inside each test, so it runs on whichever event loop the folder's tests use.
    async with running(settings) as app, connect(app) as http:
        yield http


@pytest.fixture
def site(sqlite_url: str) -> Settings:
    return settings_for(sqlite_url, telegram={"bot_username": f"@{BOT}"})


@pytest.fixture
def site_without_bot(sqlite_url: str) -> Settings:
    return settings_for(sqlite_url)


def assert_public_headers(response: httpx.Response) -> None:
    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["img-src"] == "'self' data: blob:"
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in {"no-referrer", "strict-origin-when-cross-origin"}


# -- the script and the stylesheet ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "media_type", "source"),
    [
        ("/widget.js", "text/javascript; charset=utf-8", SCRIPT),
        ("/widget.css", "text/css; charset=utf-8", STYLESHEET),
    ],
)
async def test_the_widget_files_are_served_with_their_type_and_headers(
    site: Settings, path: str, media_type: str, source: str
) -> None:
    async with serving(site) as client:
        response = await client.get(path, headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200
        assert response.headers["content-type"] == media_type
        assert response.text == source
        max_age = re.search(r"max-age=(\d+)", response.headers["cache-control"])
        assert max_age and 0 < int(max_age.group(1)) <= 3600, "a short max-age"
        assert_public_headers(response)

        zipped = await client.get(path, headers={"Accept-Encoding": "gzip, br"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.text == source  # httpx unpacks it
        assert "accept-encoding" in zipped.headers["vary"].lower()

        again = await client.get(path, headers={"If-None-Match": zipped.headers["etag"]})
        assert again.status_code == 304


def test_script_and_stylesheet_fit_in_15_kb_gzipped() -> None:
    size = sum(
        len(gzip.compress(path.read_bytes(), compresslevel=9))
        for path in (STATIC / "widget.js", STATIC / "widget.css")
    )
    assert size <= BUDGET, f"{size} bytes gzipped"


def test_the_script_never_inserts_html_or_evaluates_strings() -> None:
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "srcdoc"):
        assert sink not in SCRIPT, sink
    assert not re.search(r"\beval\s*\(", SCRIPT)
    assert not re.search(r"\bFunction\s*\(", SCRIPT)
    assert not re.search(r"set(Timeout|Interval)\(\s*['\"`]", SCRIPT), "timers with code strings"
    assert ".style." not in SCRIPT and "'style'" not in SCRIPT, "no inline styles (CSP)"


def test_the_script_builds_the_dom_of_the_contract() -> None:
    """The names the browser tests (and embedding sites' QA) rely on."""
    for name in [
        "weeraan-chat", "wa-launcher", "wa-panel", "wa-title", "wa-log", "wa-live", "wa-msg",
        "wa-bot", "wa-user", "wa-speak", "wa-options", "wa-option", "data-option-id",
        "wa-form", "wa-input", "wa-send", "wa-typing", "wa-status", "wa-lang", "wa-erase",
        "wa-close", "wa-calendar", "weeraan.session", "cmd:language", "aria-live",
        'role: "log"', 'role: "dialog"', 'role: "status"', 'mode: "open"', "/widget.css",
    ]:  # fmt: skip
        assert name in SCRIPT, name
    for code in ("nl", "en", "uk", "tr", "ar", "pl"):
        assert re.search(rf"^    {code}: \{{$", SCRIPT, re.MULTILINE), f"texts for {code}"


def test_the_stylesheet_covers_small_screens_motion_and_right_to_left() -> None:
    assert "max-width: 479.98px" in STYLESHEET
    assert "prefers-reduced-motion: reduce" in STYLESHEET
    assert ":focus-visible" in STYLESHEET
    assert "Arabic" in STYLESHEET, "a font stack with Arabic glyphs"
    assert "unicode-bidi: plaintext" in STYLESHEET


# -- the demo page --------------------------------------------------------------------------


async def test_the_demo_page_embeds_the_widget_and_tells_the_facts(
    site: Settings,
) -> None:
    async with serving(site) as client:
        response = await client.get("/")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert_public_headers(response)
        page = response.text
        assert '<html lang="nl">' in page
        assert '<script src="/widget.js" defer></script>' in page
        for landmark in ("<header", "<main", "<footer", "<h1>", "<h2"):
            assert landmark in page, landmark
        assert "WeerAan is een chatbot" in page
        assert "niet met een mens" in page
        assert "PLANgroep" in page
        assert "budgetbeheer" in page
        assert "schuldhulp" in page
        for number in ("112", "0800-9009", "0800-8115"):
            assert number in page, number
        # privacy: what is kept, how long, and how to erase it
        assert "Uw privacy" in page
        assert "30 dagen" in page
        assert "90 dagen" in page
        assert "/wis" in page
        assert "BSN" in page
        # Telegram: a link and a QR code as inline SVG
        assert f'href="https://t.me/{BOT}"' in page
        assert re.search(r'<svg role="img" viewBox="[^"]+" class="qr"><title>QR-code', page)
        assert "<path" in page


async def test_the_demo_page_has_no_inline_script_or_style(site: Settings) -> None:
    async with serving(site) as client:
        page = (await client.get("/")).text
        assert re.findall(r"<script\b[^>]*>", page) == ['<script src="/widget.js" defer>']
        assert "<style" not in page
        assert " style=" not in page
        assert not re.search(r"\son[a-z]+=", page), "no inline event handlers"
        stylesheet = await client.get("/demo.css")
        assert stylesheet.status_code == 200
        assert stylesheet.headers["content-type"] == "text/css; charset=utf-8"


async def test_without_a_bot_username_the_page_says_telegram_is_not_set_up(
    site_without_bot: Settings,
) -> None:
    async with serving(site_without_bot) as client:
        page = (await client.get("/")).text
        assert "De Telegram-bot is hier niet ingesteld" in page
        assert "t.me/" not in page
        assert "<svg" not in page


# -- security headers -----------------------------------------------------------------------


async def test_the_widget_api_sends_the_security_headers(site: Settings) -> None:
    async with serving(site) as client:
        created = await client.post(SESSIONS, json={"locale": "nl"})
        assert created.status_code == 201
        assert_public_headers(created)
        unknown = await client.get(f"{SESSIONS}/nope", headers={"Authorization": "Bearer x"})
        assert unknown.status_code == 404
        assert_public_headers(unknown)


async def test_the_staff_pages_keep_their_own_headers(site: Settings) -> None:
    async with serving(site) as client:
        response = await client.get("/staff/login")
        assert response.status_code == 200
        for name, value in STAFF_HEADERS.items():
            assert response.headers[name] == value, name


async def test_the_api_documentation_keeps_working(site: Settings) -> None:
    async with serving(site) as client:
        # Swagger UI loads its script from a CDN: the public CSP would break it.
        response = await client.get("/docs")
        assert response.status_code == 200
        assert "content-security-policy" not in response.headers


# -- CORS -----------------------------------------------------------------------------------


async def preflight(http: httpx.AsyncClient, path: str, origin: str, method: str) -> httpx.Response:
    return await http.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


@pytest.mark.parametrize(
    ("path", "method"),
    [
        (SESSIONS, "POST"),
        (f"{SESSIONS}/abc/messages", "POST"),
        (f"{SESSIONS}/abc", "GET"),
        (f"{SESSIONS}/abc", "DELETE"),
    ],
)
async def test_an_allowed_site_gets_its_preflight_answered(
    site: Settings, path: str, method: str
) -> None:
    async with serving(site) as client:
        response = await preflight(client, path, SITE, method)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == SITE
        methods = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
        assert {"GET", "POST", "DELETE"} <= methods
        allowed = response.headers["access-control-allow-headers"].lower()
        assert "authorization" in allowed
        assert "content-type" in allowed
        assert "access-control-allow-credentials" not in response.headers


async def test_an_allowed_site_can_talk_to_the_api(site: Settings) -> None:
    async with serving(site) as client:
        created = await client.post(SESSIONS, json={"locale": "nl"}, headers={"Origin": SITE})
        assert created.status_code == 201
        assert created.headers["access-control-allow-origin"] == SITE
        assert "retry-after" in created.headers["access-control-expose-headers"].lower()
        assert "access-control-allow-credentials" not in created.headers
        body = created.json()
        path = f"{SESSIONS}/{body['session_id']}"
        auth = {"Origin": SITE, "Authorization": f"Bearer {body['token']}"}
        turn = await client.post(f"{path}/messages", json={"option": "lang:nl"}, headers=auth)
        assert turn.status_code == 200
        assert turn.headers["access-control-allow-origin"] == SITE
        erased = await client.delete(path, headers=auth)
        assert erased.status_code == 204
        assert erased.headers["access-control-allow-origin"] == SITE


async def test_a_foreign_site_gets_no_cors_headers(site: Settings) -> None:
    async with serving(site) as client:
        refused = await preflight(client, SESSIONS, FOREIGN, "POST")
        assert "access-control-allow-origin" not in refused.headers
        assert refused.status_code >= 400
        created = await client.post(SESSIONS, json={"locale": "nl"}, headers={"Origin": FOREIGN})
        assert "access-control-allow-origin" not in created.headers
        assert "access-control-allow-origin" not in (await client.get("/widget.js")).headers


async def test_cors_is_only_for_the_widget_api(site: Settings) -> None:
    async with serving(site) as client:
        response = await preflight(client, "/api/staff/bookings", SITE, "GET")
        assert "access-control-allow-origin" not in response.headers
        same_site = await client.get("/staff/login", headers={"Origin": SITE})
        assert "access-control-allow-origin" not in same_site.headers


# -- settings -------------------------------------------------------------------------------


def test_allowed_origins_are_origins() -> None:
    settings = Settings(widget={"allowed_origins": "https://www.Almere.nl/, http://localhost:8080"})
    assert settings.widget.allowed_origins == ["https://www.almere.nl", "http://localhost:8080"]
    for wrong in ("*", "www.almere.nl", "https://www.almere.nl/chat"):
        with pytest.raises(ValidationError):
            Settings(widget={"allowed_origins": wrong})


def test_the_bot_username_is_a_telegram_username() -> None:
    assert Settings(telegram={"bot_username": "@WeerAanBot"}).telegram.bot_username == "WeerAanBot"
    assert Settings(telegram={"bot_username": ""}).telegram.bot_username is None
    for wrong in ("bot", "weeraan bot", "<script>", "a" * 40):
        with pytest.raises(ValidationError):
            Settings(telegram={"bot_username": wrong})

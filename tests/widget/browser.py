"""Helpers for the widget's browser tests: the live server, the shadow root, answering turns.

Every selector here is from the widget's DOM contract (``#weeraan-chat`` with an open shadow
root; Playwright's CSS selectors pierce open shadow roots).
"""

from __future__ import annotations

import asyncio
import functools
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import httpx
import uvicorn
from playwright.async_api import Locator, Page, Response

from webhook.app import create_app
from webhook.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
# No downloads, no background traffic, no sandbox (containers): Debian's Chromium as is.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
HOST = "#weeraan-chat"
STORAGE_KEY = "weeraan.session"
SESSIONS = "/api/chat/sessions"

P = ParamSpec("P")
R = TypeVar("R")


# -- the live server ------------------------------------------------------------------------


class LiveServer:
    """The real app under uvicorn in a background thread, on 127.0.0.1 and a free port."""

    def __init__(self, settings: Settings) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))  # the port is ours from here on: no race
        self.port: int = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(settings),
            log_level="warning",
            access_log=False,
            ws="none",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def start(self, timeout: float = 30.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=2.0) as http:
            while True:
                if not self.thread.is_alive():
                    raise RuntimeError("the live server stopped while starting (see its log)")
                try:
                    if http.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the live server did not answer /healthz in {timeout}s")
                time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.socket.close()


# -- time bounds and screenshots ------------------------------------------------------------


def bounded(seconds: float) -> Callable[[Callable[P, Coroutine[Any, Any, R]]], Callable[P, Any]]:
    """Fail an async test that takes longer than ``seconds`` (a hung browser never hangs CI)."""

    def decorate(test: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Any]:
        @functools.wraps(test)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            async with asyncio.timeout(seconds):
                return await test(*args, **kwargs)

        return run

    return decorate


def artifact_name(test: str, step: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{test}-{step}").strip("_")


async def screenshot(page: Page, test: str, step: str) -> Path:
    """``test-artifacts/screenshots/<test>-<step>.png`` (the folder is git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{artifact_name(test, step)}.png"
    await page.screenshot(path=str(path), full_page=False)
    return path


# -- the widget's shadow root ---------------------------------------------------------------


def chat(page: Page, selector: str = "") -> Locator:
    """An element inside the widget's shadow root (CSS selectors pierce open shadow roots)."""
    return page.locator(f"{HOST} {selector}".strip())


# JavaScript run inside the page; ``root`` is the widget's open shadow root.
ROOT_JS = f"document.querySelector({HOST!r}).shadowRoot"

ACTIVE_JS = f"""() => {{
    const root = {ROOT_JS};
    const el = root && root.activeElement;
    if (!el) return {{outside: document.activeElement ? document.activeElement.tagName : null}};
    const style = getComputedStyle(el);
    return {{
        host: document.activeElement === root.host,
        tag: el.tagName.toLowerCase(),
        cls: el.className,
        option: el.dataset.optionId || null,
        type: el.type || null,
        outlineStyle: style.outlineStyle,
        outlineWidth: style.outlineWidth,
        boxShadow: style.boxShadow,
    }};
}}"""


async def active(page: Page) -> dict[str, Any]:
    """What has focus inside the shadow root (``document.activeElement`` is the host)."""
    result: dict[str, Any] = await page.evaluate(ACTIVE_JS)
    return result


def has_class(element: dict[str, Any], name: str) -> bool:
    return name in str(element.get("cls") or "").split()


def focus_visible(element: dict[str, Any]) -> bool:
    outline = element["outlineStyle"] != "none" and element["outlineWidth"] not in ("0px", "")
    return outline or element["boxShadow"] not in ("none", "")


async def current_options(page: Page) -> list[str]:
    """The option ids of the newest option group (older ones are removed or disabled)."""
    ids: list[str] = await page.evaluate(
        f"""() => {{
            const groups = {ROOT_JS}.querySelectorAll('div.wa-options');
            const last = groups[groups.length - 1];
            if (!last) return [];
            return [...last.querySelectorAll('button.wa-option')]
                .filter((b) => !b.disabled)
                .map((b) => b.dataset.optionId);
        }}"""
    )
    return ids


def option(page: Page, option_id: str) -> Locator:
    """The newest enabled button for ``option_id``."""
    return chat(page, f'button.wa-option[data-option-id="{option_id}"]:not([disabled])').last


async def stored_session(page: Page) -> dict[str, Any] | None:
    value: dict[str, Any] | None = await page.evaluate(
        f"() => JSON.parse(localStorage.getItem({STORAGE_KEY!r}) || 'null')"
    )
    return value


# -- answering a turn -----------------------------------------------------------------------


def is_message_post(response: Response) -> bool:
    request = response.request
    path = request.url.split("?")[0]
    return request.method == "POST" and re.search(r"/sessions/[^/]+/messages$", path) is not None


def is_session_start(response: Response) -> bool:
    """A new session (POST /api/chat/sessions) or a resumed one (GET .../sessions/{id})."""
    request = response.request
    path = request.url.split("?")[0]
    if request.method == "POST":
        return path.endswith(SESSIONS)
    return request.method == "GET" and re.search(r"/api/chat/sessions/[^/]+$", path) is not None


def squeeze(text: str) -> str:
    """Text without whitespace: the widget may split lines into paragraphs."""
    return re.sub(r"\s+", "", text)


async def shown(page: Page, turn: dict[str, Any]) -> None:
    """Wait until the turn's last bot message and its options are on screen."""
    messages = turn["messages"]
    if not messages:
        return
    last = messages[-1]
    await page.wait_for_function(
        f"""([expected, ids]) => {{
            const root = {ROOT_JS};
            const squeeze = (s) => s.replace(/\\s+/g, '');
            const bots = root.querySelectorAll('div.wa-msg.wa-bot');
            const lastBot = bots[bots.length - 1];
            if (!lastBot || !squeeze(lastBot.textContent).includes(expected)) return false;
            const typing = root.querySelector('.wa-typing');
            if (typing && typing.checkVisibility()) return false;
            if (!ids.length) return true;
            const groups = root.querySelectorAll('div.wa-options');
            const group = groups[groups.length - 1];
            if (!group) return false;
            const shownIds = [...group.querySelectorAll('button.wa-option')]
                .filter((b) => !b.disabled).map((b) => b.dataset.optionId);
            return JSON.stringify(shownIds) === JSON.stringify(ids);
        }}""",
        arg=[squeeze(last["text"]), [o["id"] for o in last["options"]]],
    )


async def answer(page: Page, act: Callable[[], Awaitable[None]]) -> dict[str, Any]:
    """Do ``act`` (a click, a key), wait for the server's turn and for it to be shown."""
    async with page.expect_response(is_message_post) as info:
        await act()
    response = await info.value
    assert response.status == 200, await response.text()
    turn: dict[str, Any] = await response.json()
    await shown(page, turn)
    return turn


async def click_option(page: Page, option_id: str) -> dict[str, Any]:
    return await answer(page, lambda: option(page, option_id).click())


async def type_answer(page: Page, text: str) -> dict[str, Any]:
    field = chat(page, "input.wa-input")

    async def act() -> None:
        await field.fill(text)
        await chat(page, "button.wa-send").click()

    return await answer(page, act)


async def open_widget(page: Page) -> dict[str, Any]:
    """Click the launcher; wait for the first turn (new or resumed) to be shown."""
    async with page.expect_response(is_session_start) as info:
        await chat(page, "button.wa-launcher").click()
    response = await info.value
    assert response.ok, await response.text()
    turn: dict[str, Any] = await response.json()
    await shown(page, turn)
    return turn


def said(turn: dict[str, Any]) -> str:
    return "\n".join(m["text"] for m in turn["messages"])

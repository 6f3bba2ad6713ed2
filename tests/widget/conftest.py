"""The widget's browser tests: the real app on a live port, Debian's Chromium through Playwright.

One live server and one browser for the whole session; a fresh browser context (no cookies,
no localStorage) and page for every test. Without ``/usr/bin/chromium`` the browser tests
(everything that uses ``browser``) are skipped,
except under ``CI=true``, where that is a failure (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    async_playwright,
)

from tests.widget.browser import CHROMIUM, CHROMIUM_ARGS, LiveServer, screenshot
from webhook.settings import Settings

GENEROUS = {"rate_per_minute": 10_000, "rate_per_ip_minute": 10_000}
EVERY_DAY = {
    "days": "mon,tue,wed,thu,fri,sat,sun",
    "hours": "08:00-20:00",
    "intake_minutes": 60,
    "office_address": "Voorbeeldplein 2",
    "capacity": 5,
}
BOT_USERNAME = "weeraan_test_bot"

PageFactory = Callable[..., Awaitable[Page]]
PHASES = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item: a failed test leaves a screenshot behind."""
    report = yield
    item.stash.setdefault(PHASES, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium): browser tests skipped")
    return CHROMIUM


@pytest.fixture(scope="session")
def live_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The live app's database: SQLite in a temporary folder (tests may read what it stored)."""
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('widget') / 'weeraan.db'}"


@pytest.fixture(scope="session")
def live_url(live_database: str) -> Iterator[str]:
    """The real app on 127.0.0.1, on ``live_database``, with intakes every day 08-20."""
    settings = Settings(
        database_url=live_database,
        widget=GENEROUS,
        schedule=EVERY_DAY,
        telegram={"bot_username": BOT_USERNAME},  # the demo page links to the bot
        log_level="WARNING",
    )
    server = LiveServer(settings)
    server.start()
    yield server.url
    server.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(chromium_path: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(loop_scope="session")
async def make_page(
    browser: Browser, live_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[PageFactory]:
    """New pages, each in a fresh browser context; JavaScript errors fail the test.

    Keyword arguments go to ``browser.new_context`` (viewport, locale, device_scale_factor);
    the default is a Dutch desktop browser.
    """
    contexts: list[BrowserContext] = []
    pages: list[Page] = []
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # "Failed to load resource" is the browser noting a 404/429 the widget handles.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    def on_error(error: Error) -> None:
        problems.append(f"uncaught: {error}")

    async def new_page(**options: Any) -> Page:
        options = {"locale": "nl-NL", "viewport": {"width": 1280, "height": 800}} | options
        context = await browser.new_context(base_url=live_url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = await context.new_page()
        page.on("console", on_console)
        page.on("pageerror", on_error)
        pages.append(page)
        return page

    yield new_page

    phases = request.node.stash.get(PHASES, {})
    if "call" in phases and phases["call"].failed:
        for number, page in enumerate(pages):
            if not page.is_closed():
                await screenshot(page, request.node.name, f"failure-{number}")
    for context in contexts:
        await context.close()
    assert not problems, "the page logged errors:\n" + "\n".join(problems)


@pytest_asyncio.fixture(loop_scope="session")
async def page(make_page: PageFactory) -> Page:
    return await make_page()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], Awaitable[Path]]:
    """``await shot(page, "step")`` saves ``test-artifacts/screenshots/<test>-<step>.png``."""

    async def take(page: Page, step: str) -> Path:
        return await screenshot(page, request.node.name, step)

    return take

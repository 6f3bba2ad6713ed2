"""A link to the page with ``?weeraan-lang=…&weeraan-source=…`` (the poster's website code)
in headless Chromium: the chat opens by itself in that language and the source is stored; a
stored conversation resumes untouched (erasing it starts one with the link's source); a bad
source is left out; the site's own parameters do nothing."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page, Request, expect

from dialogs.state import ConversationState
from tests.conftest import TEST_VAULT
from tests.poster.posters import catalog_text
from tests.webhook.test_widget_api import stored_conversation
from tests.widget.browser import (
    HOST,
    bounded,
    chat,
    click_option,
    is_session_start,
    open_widget,
    shown,
    stored_session,
)
from tests.widget.conftest import PageFactory
from webhook.db import create_engine

pytestmark = pytest.mark.asyncio(loop_scope="session")

LINK = "/?weeraan-lang=ar&weeraan-source=poster"
ARABIC_LANGUAGE_QUESTION = catalog_text("ar", "In welke taal wilt u verder?")


async def follow(page: Page, url: str) -> dict[str, Any]:
    """Go to ``url``; the widget opens by itself: wait for its first turn to be shown."""
    async with page.expect_response(is_session_start) as info:
        await page.goto(url)
    response = await info.value
    assert response.ok, await response.text()
    turn: dict[str, Any] = await response.json()
    await shown(page, turn)
    return turn


async def stored_state(database: str, page: Page) -> ConversationState:
    session = await stored_session(page)
    assert session is not None
    db = create_engine(database)
    try:
        row = await stored_conversation(db, session["session_id"])
    finally:
        await db.dispose()
    assert row is not None
    return ConversationState.from_json(TEST_VAULT.open_text(row["state"]))


def new_sessions(page: Page) -> list[Any]:
    """The bodies of every ``POST /api/chat/sessions`` the page sends from now on."""
    bodies: list[Any] = []

    def record(request: Request) -> None:
        if request.method == "POST" and request.url.split("?")[0].endswith("/api/chat/sessions"):
            bodies.append(request.post_data_json)

    page.on("request", record)
    return bodies


async def assert_open_in_arabic(page: Page) -> None:
    panel = chat(page, "section.wa-panel")
    await expect(panel).to_be_visible()
    await expect(chat(page, "button.wa-launcher")).to_have_attribute("aria-expanded", "true")
    await expect(panel).to_have_attribute("dir", "rtl")
    await expect(panel).to_have_attribute("lang", "ar")
    direction = await chat(page, "div.wa-log").evaluate("(log) => getComputedStyle(log).direction")
    assert direction == "rtl"
    await expect(chat(page, "div.wa-msg.wa-bot").last).to_contain_text(ARABIC_LANGUAGE_QUESTION)


@bounded(90)
async def test_the_link_opens_the_chat_in_arabic_and_records_the_source(
    make_page: PageFactory, live_database: str
) -> None:
    page = await make_page()  # a Dutch browser: the link's language wins for a new session
    sent = new_sessions(page)
    turn = await follow(page, LINK)
    assert sent == [{"locale": "ar", "source": "poster"}]
    assert turn["locale"] == "ar"
    await assert_open_in_arabic(page)
    state = await stored_state(live_database, page)
    assert (state.source, state.locale) == ("poster", "ar")

    # Every reload of the same link resumes this conversation; it does not start anew.
    session = await stored_session(page) or {}
    await follow(page, LINK)
    await follow(page, "/?weeraan-lang=pl&weeraan-source=brief")
    assert len(sent) == 1, sent
    resumed = await stored_session(page) or {}
    assert (resumed["session_id"], resumed["token"]) == (session["session_id"], session["token"])
    await assert_open_in_arabic(page)
    assert (await stored_state(live_database, page)).source == "poster"


@bounded(90)
async def test_a_stored_conversation_resumes_as_it_was(
    make_page: PageFactory, live_database: str
) -> None:
    page = await make_page()
    await page.goto("/")
    await open_widget(page)
    await click_option(page, "lang:nl")
    before = await stored_session(page)
    sent = new_sessions(page)
    await follow(page, LINK)
    assert sent == []
    assert (await stored_session(page) or {}).get("session_id") == (before or {})["session_id"]
    panel = chat(page, "section.wa-panel")
    await expect(panel).to_be_visible()
    await expect(panel).to_have_attribute("lang", "nl")
    await expect(panel).to_have_attribute("dir", "ltr")
    state = await stored_state(live_database, page)
    assert (state.source, state.locale) == ("widget", "nl")

    # Erasing starts a new session: in the language in use, with the link's source.
    async with page.expect_response(is_session_start):
        await chat(page, "button.wa-erase").click()
    await page.wait_for_function(
        "(old) => { const s = JSON.parse(localStorage.getItem('weeraan.session') || 'null');"
        " return s !== null && s.session_id !== old; }",
        arg=(before or {})["session_id"],
    )
    assert sent == [{"locale": "nl", "source": "poster"}]
    assert (await stored_state(live_database, page)).source == "poster"


@bounded(90)
async def test_a_bad_source_is_left_out_and_an_unknown_language_gives_the_usual_choice(
    make_page: PageFactory, live_database: str
) -> None:
    page = await make_page(locale="tr-TR")
    sent = new_sessions(page)
    turn = await follow(page, "/?weeraan-lang=xx&weeraan-source=%3Cb%3Ebrief%201%3C%2Fb%3E")
    assert sent == [{"locale": "tr-TR"}]
    assert turn["locale"] == "tr"
    await expect(chat(page, "section.wa-panel")).to_have_attribute("lang", "tr")
    state = await stored_state(live_database, page)
    assert (state.source, state.locale) == ("widget", "tr")


@bounded(60)
async def test_the_sites_own_parameters_leave_the_chat_closed(make_page: PageFactory) -> None:
    page = await make_page()
    sent = new_sessions(page)
    await page.goto("/?lang=ar&source=poster&weeraan=open")
    await page.wait_for_function(
        f"() => document.querySelector({HOST!r})?.shadowRoot?.querySelector('button.wa-launcher')"
    )
    await expect(chat(page, "section.wa-panel")).to_be_hidden()
    await expect(chat(page, "button.wa-launcher")).to_have_attribute("aria-expanded", "false")
    await expect(chat(page, "button.wa-launcher")).to_have_attribute("lang", "nl")
    assert sent == []

"""The funnel on the dashboard (``/staff/funnel``, ``/staff/funnel.csv``), on each database:
counts of a known set of conversations, as an SVG chart, a table and CSV; filters; login."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import insert

from dialogs.engine import Engine
from dialogs.funnel import STARTED, FunnelCounts, NodeCount, OutcomeCount
from dialogs.model import Tree
from tests.conftest import NOW
from tests.staff.conftest import StaffApp
from tests.staff.test_dashboard import Browser, assert_secure_headers
from tests.webhook.funnel_scenario import (
    KNOWN_NODES,
    KNOWN_SOURCES,
    service_on,
    talk_known_conversations,
)
from webhook.funnel.sources import CAP, OTHER
from webhook.funnel.tally import tally
from webhook.store import SqlConversationStore
from webhook.tables import funnel_nodes

SVG = "{http://www.w3.org/2000/svg}"
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


@pytest.fixture
async def funnel(any_staff_app: StaffApp, engine: Engine) -> AsyncIterator[Browser]:
    """The known conversations counted on the app's database, and a logged-in caseworker."""
    store = SqlConversationStore(any_staff_app.db, any_staff_app.config)
    await talk_known_conversations(service_on(store, engine))
    async with any_staff_app.client() as http:
        browser = Browser(http)
        assert (await browser.login(any_staff_app.anna.token)).status_code == 303
        yield browser


def expected(tree: Tree, **only: str) -> list[tuple[str, int, int]]:
    """(node, reached, stopped) summed from the known counts, in the tree's order."""
    sums: dict[str, tuple[int, int]] = {}
    for (_day, node, locale, channel, source), (reached, stopped) in KNOWN_NODES.items():
        if (
            node == STARTED
            or only.get("language", locale) != locale
            or only.get("channel", channel) != channel
            or only.get("source", source) != source
        ):
            continue
        old = sums.get(node, (0, 0))
        sums[node] = (old[0] + reached, old[1] + stopped)
    return [(node, *sums[node]) for node in tree.nodes if node in sums]


def chart_of(page: str) -> ET.Element:
    match = re.search(r"<svg.*?</svg>", page, re.DOTALL)
    assert match, page
    # Our own page, not untrusted input; raises unless the SVG is well-formed XML.
    return ET.fromstring(match.group(0))  # noqa: S314


def bars_of(svg: ET.Element) -> list[tuple[str, int, int]]:
    found = []
    for bar in svg.iter(f"{SVG}g"):
        if bar.get("class") != "bar":
            continue
        label, number = (text.text or "" for text in bar.iter(f"{SVG}text"))
        reached, stopped = number.split(" / ")
        found.append((label, int(reached), int(stopped)))
    return found


async def test_chart_has_a_bar_per_node_in_tree_order(funnel: Browser, tree: Tree) -> None:
    page = await funnel.http.get("/staff/funnel", params=NOVEMBER)
    assert page.status_code == 200, page.text
    assert_secure_headers(page)
    svg = chart_of(page.text)
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title") is not None and svg.find(f"{SVG}desc") is not None
    assert bars_of(svg) == expected(tree)
    widths = {
        rect.get("class"): float(rect.get("width", "0"))
        for rect in next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "bar")
        if rect.tag == f"{SVG}rect"
    }
    assert widths == {"reached": 460.0, "stopped": 0.0}, "the most reached node fills the space"
    assert "<script" not in page.text and "style=" not in page.text
    assert "<strong>5</strong> gesprekken begonnen" in page.text
    assert 'aria-current="page">Trechter' in page.text


async def test_table_repeats_the_chart_and_shows_the_outcome_mix(
    funnel: Browser, tree: Tree
) -> None:
    page = (await funnel.http.get("/staff/funnel", params=NOVEMBER)).text
    rows = re.findall(
        r'<tr><th scope="row">(\w+)</th><td>[^<]*</td><td>(\d+)</td><td>(\d+)</td>', page
    )
    assert [(node, int(r), int(s)) for node, r, s in rows] == expected(tree)
    assert "Geen (gestopt vóór de beoordeling)</th><td>3</td><td>100%</td>" in page


@pytest.mark.parametrize(
    "only",
    [
        {"language": "en"},
        {"channel": "widget"},
        {"language": "nl", "channel": "widget"},
        {"source": "poster"},
        {"source": "widget"},
        {"source": "brief_2026_11", "channel": "widget"},
    ],
)
async def test_filters_choose_language_channel_and_source(
    funnel: Browser, tree: Tree, only: dict[str, str]
) -> None:
    page = await funnel.http.get("/staff/funnel", params={**NOVEMBER, **only})
    assert page.status_code == 200
    assert bars_of(chart_of(page.text)) == expected(tree, **only)
    for name, value in only.items():
        assert f'<option value="{value}" selected>' in page.text, name


async def test_a_period_without_conversations_shows_none(funnel: Browser) -> None:
    page = await funnel.http.get("/staff/funnel", params={"from": "2026-12-01", "to": "2026-12-31"})
    assert page.status_code == 200
    assert "<svg" not in page.text
    assert "Er zijn geen gesprekken in deze periode." in page.text


async def test_csv_has_the_same_counts(funnel: Browser, tree: Tree) -> None:
    response = await funnel.http.get(
        "/staff/funnel.csv", params={**NOVEMBER, "channel": "telegram"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "weeraan-funnel-2026-11-01-2026-11-30.csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    nodes = [
        (r["name"], int(r["reached"]), int(r["stopped"])) for r in rows if r["section"] == "node"
    ]
    assert nodes == expected(tree, channel="telegram")
    outcomes = [(r["name"], r["finished"]) for r in rows if r["section"] == "outcome"]
    assert outcomes == [("none", "2")]
    sources = [
        (r["name"], int(r["reached"]), int(r["finished"])) for r in rows if r["section"] == "source"
    ]
    assert sources == [("poster", 2, 2)], "only Telegram's conversations"


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"from": "30-11-2026"}, "Begindatum: geef een datum als 2026-12-31."),
        ({"to": "2026-02-30"}, "Einddatum: geef een datum als 2026-12-31."),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "De begindatum ligt na de einddatum."),
        ({"from": "2000-01-01", "to": "2026-11-30"}, "Kies een periode van hoogstens drie jaar."),
        ({"language": "xx"}, "Deze taal is onbekend."),
        ({"channel": "<script>"}, "Dit kanaal is onbekend."),
        (
            {"source": "<script>"},
            "Een herkomst bestaat uit hoogstens 64 letters, cijfers, _ en -.",
        ),
        ({"source": "p" * 65}, "Een herkomst bestaat uit hoogstens 64 letters, cijfers, _ en -."),
    ],
)
async def test_bad_filters_are_refused_clearly(
    funnel: Browser, params: dict[str, str], problem: str
) -> None:
    page = await funnel.http.get("/staff/funnel", params=params)
    assert page.status_code == 422
    assert problem in page.text
    assert "<script>" not in page.text, "what was asked is shown escaped"
    exported = await funnel.http.get("/staff/funnel.csv", params=params)
    assert exported.status_code == 422
    assert exported.json() == {"error": "bad_filter", "message": problem}


async def test_default_period_is_the_last_30_days(funnel: Browser) -> None:
    page = await funnel.http.get("/staff/funnel")
    assert page.status_code == 200
    days = re.findall(r'name="(from|to)" type="date" value="(\d{4}-\d\d-\d\d)"', page.text)
    assert [name for name, _ in days] == ["from", "to"]


async def test_login_required_and_no_audit_entry(any_staff_app: StaffApp, funnel: Browser) -> None:
    async with any_staff_app.client() as stranger:
        for path in ("/staff/funnel", "/staff/funnel.csv"):
            response = await stranger.get(path)
            assert response.status_code == 303
            assert response.headers["location"] == "/staff/login"
    before = await any_staff_app.audit()
    await funnel.http.get("/staff/funnel", params=NOVEMBER)
    await funnel.http.get("/staff/funnel.csv", params=NOVEMBER)
    assert await any_staff_app.audit() == before, "counts are not personal data"


def sources_of(page: str) -> list[tuple[str, int, int]]:
    table = re.search(r'<table class="sources">.*?</table>', page, re.DOTALL)
    assert table, page
    rows = re.findall(
        r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td></tr>', table.group(0)
    )
    return [(name, int(started), int(ended)) for name, started, ended in rows]


def options_of(page: str) -> list[str]:
    select = re.search(r'<select id="funnel-source" name="source">(.*?)</select>', page, re.DOTALL)
    assert select, page
    return re.findall(r'<option value="([^"]*)"', select.group(1))


async def test_where_residents_came_from(funnel: Browser) -> None:
    page = (await funnel.http.get("/staff/funnel", params=NOVEMBER)).text
    expected_rows = [(source, *counts) for source, counts in KNOWN_SOURCES.items()]
    assert sources_of(page) == expected_rows, "most conversations first"
    assert options_of(page) == ["", "brief_2026_11", "poster", "widget"]
    only_poster = (
        await funnel.http.get("/staff/funnel", params={**NOVEMBER, "source": "poster"})
    ).text
    assert "<strong>2</strong> gesprekken begonnen, <strong>2</strong> keer" in only_poster
    assert sources_of(only_poster) == expected_rows, "the table compares every source"
    dutch = (await funnel.http.get("/staff/funnel", params={**NOVEMBER, "language": "nl"})).text
    assert sources_of(dutch) == [("widget", 2, 1), ("brief_2026_11", 1, 0), ("poster", 1, 1)]


async def test_a_source_without_conversations_shows_none_and_stays_chosen(
    funnel: Browser,
) -> None:
    page = (await funnel.http.get("/staff/funnel", params={**NOVEMBER, "source": "nergens"})).text
    assert "<strong>0</strong> gesprekken begonnen" in page
    assert '<option value="nergens" selected>' in page


async def test_a_flood_of_sources_is_capped(any_staff_app: StaffApp, funnel: Browser) -> None:
    """25 made-up sources beside the known ones: the 20 most frequent, the rest summed."""
    day = NOW.date()
    made_up = [f"x{index:02d}" for index in range(25)]
    counts = FunnelCounts(
        tuple(
            NodeCount(day, STARTED, "nl", 3 + index, 0, source)
            for index, source in enumerate(made_up)
        ),
        tuple(OutcomeCount(day, "none", "nl", source) for source in made_up),
    )
    async with any_staff_app.db.begin() as connection:
        await tally(connection, "telegram", counts)
    page = (await funnel.http.get("/staff/funnel", params=NOVEMBER)).text
    rows = sources_of(page)
    assert len(rows) == CAP + 1
    assert rows[:CAP] == [(f"x{index:02d}", 3 + index, 1) for index in range(24, 4, -1)]
    left = [*(f"x{index:02d}" for index in range(5)), *KNOWN_SOURCES]
    assert rows[CAP] == (
        f"Overige ({len(left)} herkomsten)",
        sum(3 + index for index in range(5)) + sum(s for s, _ in KNOWN_SOURCES.values()),
        5 + sum(e for _, e in KNOWN_SOURCES.values()),
    )
    assert len(options_of(page)) == 1 + CAP
    exported = await funnel.http.get("/staff/funnel.csv", params=NOVEMBER)
    sources = [r for r in csv.DictReader(io.StringIO(exported.text)) if r["section"] == "source"]
    assert [r["name"] for r in sources] == [*(f"x{index:02d}" for index in range(24, 4, -1)), OTHER]
    assert int(sources[-1]["reached"]) == rows[CAP][1]


async def test_an_odd_source_in_the_table_is_escaped_and_guarded_in_the_csv(
    any_staff_app: StaffApp, funnel: Browser
) -> None:
    """Counting never stores one (``counted_source``), but the page does not rely on that."""
    odd = '=HYPERLINK("x")<b>'
    row = {"day": NOW.date(), "locale": "nl", "channel": "widget", "source": odd}
    async with any_staff_app.db.begin() as connection:
        await connection.execute(
            insert(funnel_nodes), [{**row, "node": STARTED, "reached": 9, "stopped": 0}]
        )
    page = (await funnel.http.get("/staff/funnel", params=NOVEMBER)).text
    assert "<b>" not in page
    assert sources_of(page)[0] == ("=HYPERLINK(&#34;x&#34;)&lt;b&gt;", 9, 0)
    exported = await funnel.http.get("/staff/funnel.csv", params=NOVEMBER)
    names = [
        r["name"] for r in csv.DictReader(io.StringIO(exported.text)) if r["section"] == "source"
    ]
    assert names[0] == "'" + odd

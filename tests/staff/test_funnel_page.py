"""The funnel on the dashboard (``/staff/funnel``, ``/staff/funnel.csv``), on each database:
counts of a known set of conversations, as an SVG chart, a table and CSV; filters; login."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import pytest

from dialogs.engine import Engine
from dialogs.funnel import STARTED
from dialogs.model import Tree
from tests.staff.conftest import StaffApp
from tests.staff.test_dashboard import Browser, assert_secure_headers
from tests.webhook.funnel_scenario import KNOWN_NODES, service_on, talk_known_conversations
from webhook.store import SqlConversationStore

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
    "only", [{"language": "en"}, {"channel": "widget"}, {"language": "nl", "channel": "widget"}]
)
async def test_filters_choose_language_and_channel(
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


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"from": "30-11-2026"}, "Begindatum: geef een datum als 2026-12-31."),
        ({"to": "2026-02-30"}, "Einddatum: geef een datum als 2026-12-31."),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "De begindatum ligt na de einddatum."),
        ({"from": "2000-01-01", "to": "2026-11-30"}, "Kies een periode van hoogstens drie jaar."),
        ({"language": "xx"}, "Deze taal is onbekend."),
        ({"channel": "<script>"}, "Dit kanaal is onbekend."),
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

"""The Mermaid drawing of the tree: complete, safely escaped and the same every time."""

from __future__ import annotations

import re

from dialogs.loader import load_tree
from dialogs.mermaid import COMMANDS_ID, RETURN_ID, START_ID, escape, render_mermaid, shorten
from dialogs.model import RETURN, ChoiceNode, Command, EndNode, InfoNode, Option, Tree

NASTY = 'Zeg "ja" [of] (nee) {x} #1 <b>a</b> | 50% & `code`; c:\\tmp\nnieuwe regel'
_DEFINITION = re.compile(r"^    ([A-Za-z0-9_]+)(\(\(|\(\[|\[\[|\{\{|\(|\[|\{)\"(.*)\"[)\]}]+$")
_EDGE = re.compile(r'^    ([A-Za-z0-9_]+) (-->|-\.->)(?:\|"(.*)"\|)? ([A-Za-z0-9_]+)$')


def _nasty_tree() -> Tree:
    return Tree(
        start="ask",
        restart="ask",
        nodes={
            "ask": ChoiceNode(
                id="ask",
                kind="choice",
                text=NASTY,
                options=(
                    Option(id="ask:yes", label='Ja "zeker" [x]', next="info"),
                    Option(id="ask:back", label="Terug", next=RETURN),
                ),
            ),
            "info": InfoNode(id="info", kind="info", text="<a>|b;`c` 5% & d\\e", next="end"),
            "end": EndNode(id="end", kind="end", text="Klaar."),
        },
        commands={"stop": Command(label="Stop (nu)", target="end")},
    )


def _definitions(chart: str) -> dict[str, str]:
    found = {}
    for line in chart.splitlines()[1:]:
        match = _DEFINITION.match(line)
        if match:
            assert match[1] not in found, f"{match[1]} defined twice"
            found[match[1]] = match[3]
    return found


def _edges(chart: str) -> list[tuple[str, str, str | None, str]]:
    return [(m[1], m[2], m[3], m[4]) for line in chart.splitlines() if (m := _EDGE.match(line))]


def _assert_safe(label: str) -> None:
    without_entities = re.sub(r"#(?:[a-z]+|[0-9]+);", "", label.replace("<br/>", ""))
    assert not set(without_entities) & set('"[](){}<>#|;`\\%&'), label
    assert "\n" not in label


def test_every_line_is_a_definition_or_an_edge_of_defined_nodes() -> None:
    chart = render_mermaid(load_tree())
    lines = chart.splitlines()
    assert lines[0] == "flowchart TD"
    definitions = _definitions(chart)
    edges = _edges(chart)
    assert len(definitions) + len(edges) == len(lines) - 1
    for source, _arrow, _label, target in edges:
        assert source in definitions
        assert target in definitions


def test_every_tree_node_is_drawn_once_with_its_id() -> None:
    tree = load_tree()
    definitions = _definitions(render_mermaid(tree))
    for node_id in tree.nodes:
        assert definitions[f"n_{node_id}"].startswith(node_id)
    assert set(definitions) == {f"n_{i}" for i in tree.nodes} | {START_ID, RETURN_ID, COMMANDS_ID}


def test_shapes_follow_the_node_kind() -> None:
    chart = render_mermaid(load_tree())
    assert '    n_safety_gas("safety_gas<br/>' in chart  # question: rounded
    assert '    n_location("location<br/>' in chart  # input question: rounded
    assert '    n_welcome["welcome<br/>' in chart  # info: plain box
    assert '    n_decide{"decide"}' in chart  # decision: rhombus
    assert '    n_debt_route{"debt_route"}' in chart  # branch: rhombus
    assert '    n_goodbye(["goodbye<br/>' in chart  # end: stadium


def test_edges_carry_labels_returns_and_commands() -> None:
    edges = _edges(render_mermaid(load_tree()))
    assert (START_ID, "-->", None, "n_welcome") in edges
    assert ("n_privacy", "-->", "Akkoord", "n_safety_gas") in edges
    assert ("n_decide", "-->", "emergency", "n_emergency") in edges
    assert ("n_debt_route", "-->", "otherwise", "n_decide") in edges
    assert ("n_help_info", "-.->", None, RETURN_ID) in edges
    assert ("n_person_done", "-.->", "Ja, verder", RETURN_ID) in edges
    assert (COMMANDS_ID, "-->", "Medewerker", "n_person_intro") in edges
    assert (COMMANDS_ID, "-->", "Opnieuw", "n_restart_intro") in edges
    assert all(arrow == "-.->" for _s, arrow, _l, target in edges if target == RETURN_ID)


def test_labels_with_quotes_brackets_hashes_and_newlines_are_escaped() -> None:
    chart = render_mermaid(_nasty_tree())
    assert len(chart.splitlines()) == 1 + 6 + 5  # header, 3 nodes + 3 own nodes, 5 edges
    definitions = _definitions(chart)
    for label in definitions.values():
        _assert_safe(label)
    assert (
        definitions["n_ask"]
        == "ask<br/>Zeg #quot;ja#quot; #91;of#93; #40;nee#41; #123;x#125; #35;1…"
    )
    assert definitions["n_info"] == "info<br/>#lt;a#gt;#124;b#59;#96;c#96; 5#37; #38; d#92;e"
    edges = _edges(chart)
    for _source, _arrow, edge_label, _target in edges:
        _assert_safe(edge_label or "")
    assert ("n_ask", "-->", "Ja #quot;zeker#quot; #91;x#93;", "n_info") in edges
    assert ("n_ask", "-.->", "Terug", RETURN_ID) in edges
    assert (COMMANDS_ID, "-->", "Stop #40;nu#41;", "n_end") in edges


def test_escape_and_shorten() -> None:
    _assert_safe(escape(NASTY))
    assert escape("a\n  b") == "a b"
    assert escape('"#') == "#quot;#35;"
    assert shorten("een twee drie", words=2) == "een twee…"
    assert shorten("een twee.", words=5) == "een twee."
    assert shorten("x" * 50, chars=10) == "x" * 9 + "…"


def test_output_is_deterministic() -> None:
    first = render_mermaid(load_tree())
    assert render_mermaid(load_tree()) == first
    assert render_mermaid(load_tree()) == render_mermaid(load_tree())
    tree = _nasty_tree()
    assert render_mermaid(tree) == render_mermaid(tree)

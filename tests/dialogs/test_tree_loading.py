"""Loading the dialogue tree: the real tree is sound, and every kind of broken tree is rejected
with the file, the node and the reason (what ``weeraan tree check`` prints)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

from dialogs.eligibility import OUTCOMES
from dialogs.languages import LANGUAGE_NAMES
from dialogs.loader import DEFAULT_TREE_DIR, REQUIRED_MESSAGES, load_tree
from dialogs.model import CommandName, DecisionNode, EndNode, Tree, WaitingNode
from dialogs.problems import TreeError, TreeProblem

TELEGRAM_CALLBACK_DATA_BYTES = 64
MAX_OPTION_ID_BYTES = 48

# -- helpers --------------------------------------------------------------------------------


@pytest.fixture
def tree_dir(tmp_path: Path) -> Path:
    """A private copy of the real tree files, to break on purpose."""
    target = tmp_path / "trees"
    shutil.copytree(DEFAULT_TREE_DIR, target)
    return target


def edit(directory: Path, file: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Load ``file`` as YAML, let ``change`` modify it in place, write it back."""
    path = directory / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def problems_of(directory: Path) -> tuple[TreeProblem, ...]:
    with pytest.raises(TreeError) as info:
        load_tree(directory)
    assert info.value.problems, "a TreeError must list at least one problem"
    return info.value.problems


def assert_problem(
    problems: tuple[TreeProblem, ...], file: str, node: str, *words: str
) -> TreeProblem:
    """Exactly the located problem we expect is among ``problems``."""
    found = [
        p
        for p in problems
        if p.file == file and p.node == node and all(w in p.reason for w in words)
    ]
    assert found, f"expected {file}: node '{node}' with {words}; got {problems}"
    return found[0]


def option(option_id: str, label: str, next_: str | None = None) -> dict[str, str]:
    return {"id": option_id, "label": label} | ({"next": next_} if next_ else {})


def minimal_tree(**nodes: dict[str, Any]) -> dict[str, Any]:
    """The smallest valid tree (one question, one end) plus ``nodes``."""
    return {
        "start": "ask",
        "restart": "ask",
        "commands": {"back": {"label": "Terug", "words": ["terug"]}},
        "messages": {key: f"tekst {key}" for key in REQUIRED_MESSAGES},
        "nodes": {
            "ask": {
                "kind": "choice",
                "text": "Klaar?",
                "options": [option("ask:ok", "Ja", "done")],
            },
            "done": {"kind": "end", "text": "Dag."},
            **nodes,
        },
    }


def write_tree(directory: Path, data: dict[str, Any], file: str = "tree.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / file).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return directory


# -- the real tree --------------------------------------------------------------------------


def test_real_tree_loads(tree: Tree) -> None:
    assert tree.start == "welcome"
    assert tree.restart in tree.nodes
    assert set(tree.commands) == set(get_args(CommandName))
    for node_id, node in tree.nodes.items():
        assert node.id == node_id
        assert node.file.endswith(".yaml")
    assert tree.total_questions == 8, "PRODUCT.md §2 counts questions 'van 8'"


def test_real_tree_has_one_decision_routing_every_outcome(tree: Tree) -> None:
    decisions = [n for n in tree.nodes.values() if isinstance(n, DecisionNode)]
    assert decisions
    for node in decisions:
        assert set(node.routes) == set(OUTCOMES)


def test_real_tree_waits_for_input_and_can_end(tree: Tree) -> None:
    assert any(isinstance(n, WaitingNode) for n in tree.nodes.values())
    assert {"emergency", "goodbye", "stopped", "erased", "privacy_declined"} <= {
        n.id for n in tree.nodes.values() if isinstance(n, EndNode)
    }


def test_every_option_id_is_unique_and_fits_telegram_callback_data(tree: Tree) -> None:
    ids = [o.id for n in tree.nodes.values() for o in getattr(n, "options", ())]
    assert ids
    assert len(ids) == len(set(ids)), "an option id is used twice"
    for option_id in ids:
        assert len(option_id.encode("utf-8")) <= MAX_OPTION_ID_BYTES, option_id
    # ids the engine makes itself must fit as well, with room for a channel prefix
    made_up = [f"cmd:{name}" for name in tree.commands] + [f"lang:{c}" for c in LANGUAGE_NAMES]
    for option_id in [*ids, *made_up]:
        assert len(option_id.encode("utf-8")) + 16 <= TELEGRAM_CALLBACK_DATA_BYTES


# -- broken trees ---------------------------------------------------------------------------


def test_unknown_target_is_reported(tree_dir: Path) -> None:
    edit(tree_dir, "20_questions.yaml", lambda d: d["nodes"]["energy"].update(next="nowhere"))
    problems = problems_of(tree_dir)
    problem = assert_problem(problems, "20_questions.yaml", "energy", "unknown target", "nowhere")
    assert str(problem) == "20_questions.yaml: node 'energy': unknown target 'nowhere'"


def test_unknown_option_target_is_reported(tree_dir: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["nodes"]["eligible"]["options"][0]["next"] = "booking_that_does_not_exist"

    edit(tree_dir, "30_outcomes.yaml", change)
    assert_problem(
        problems_of(tree_dir), "30_outcomes.yaml", "eligible", "booking_that_does_not_exist"
    )


def test_error_message_names_file_node_and_reason(tree_dir: Path) -> None:
    edit(tree_dir, "20_questions.yaml", lambda d: d["nodes"]["energy"].update(next="nowhere"))
    with pytest.raises(TreeError, match=r"20_questions\.yaml: node 'energy': unknown target"):
        load_tree(tree_dir)


def test_unreachable_node_is_reported(tree_dir: Path) -> None:
    orphan = {"kind": "end", "text": "Niemand komt hier."}
    edit(tree_dir, "30_outcomes.yaml", lambda d: d["nodes"].update(orphan=orphan))
    assert_problem(problems_of(tree_dir), "30_outcomes.yaml", "orphan", "unreachable")


def test_choice_option_without_next_is_a_dead_end(tree_dir: Path) -> None:
    edit(tree_dir, "20_questions.yaml", lambda d: d["nodes"]["energy"].pop("next"))
    problems = problems_of(tree_dir)
    for option_id in ("energy:electricity", "energy:gas", "energy:both", "energy:heat"):
        assert_problem(problems, "20_questions.yaml", "energy", "dead end", option_id)


def test_node_from_which_no_end_is_reachable_is_a_dead_end(tree_dir: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        nodes = data["nodes"]
        nodes["situation_other"]["options"][1]["next"] = "circle_a"
        nodes["circle_a"] = {
            "kind": "choice",
            "text": "Vraag A?",
            "options": [option("circle_a:next", "Verder", "circle_b")],
        }
        nodes["circle_b"] = {
            "kind": "choice",
            "text": "Vraag B?",
            "options": [option("circle_b:next", "Verder", "circle_a")],
        }

    edit(tree_dir, "20_questions.yaml", change)
    problems = problems_of(tree_dir)
    assert_problem(problems, "20_questions.yaml", "circle_a", "dead end", "no path")
    assert_problem(problems, "20_questions.yaml", "circle_b", "dead end", "no path")
    # the nodes that can still finish another way are not blamed
    assert not [p for p in problems if p.node == "situation_other"]


def test_duplicate_option_id_within_a_node_is_reported(tree_dir: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        options = data["nodes"]["supplier"]["options"]
        options.append(dict(options[0], label="Nog een keer Vattenfall"))

    edit(tree_dir, "20_questions.yaml", change)
    assert_problem(
        problems_of(tree_dir), "20_questions.yaml", "supplier", "duplicate", "supplier:vattenfall"
    )


def test_duplicate_option_id_across_nodes_is_reported_at_a_node(tree_dir: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["nodes"]["prevention"]["options"][1]["id"] = "eligible:stop"

    edit(tree_dir, "30_outcomes.yaml", change)
    problem = assert_problem(
        problems_of(tree_dir), "30_outcomes.yaml", "prevention", "duplicate", "eligible:stop"
    )
    assert "eligible" in problem.reason.replace("eligible:stop", "")


@pytest.mark.parametrize(
    ("file", "node"),
    [
        ("20_questions.yaml", "energy"),
        ("10_start.yaml", "welcome"),
        ("30_outcomes.yaml", "goodbye"),
    ],
)
def test_missing_text_is_reported(tree_dir: Path, file: str, node: str) -> None:
    edit(tree_dir, file, lambda d: d["nodes"][node].pop("text"))
    assert_problem(problems_of(tree_dir), file, node, "text", "missing")


def test_blank_text_is_reported(tree_dir: Path) -> None:
    edit(tree_dir, "20_questions.yaml", lambda d: d["nodes"]["energy"].update(text="   "))
    assert_problem(problems_of(tree_dir), "20_questions.yaml", "energy", "text")


def test_missing_engine_message_is_reported(tree_dir: Path) -> None:
    edit(tree_dir, "00_main.yaml", lambda d: d["messages"].pop("not_understood"))
    assert_problem(problems_of(tree_dir), "00_main.yaml", "-", "not_understood", "missing")


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_decision_without_a_route_for_an_outcome_is_reported(tree_dir: Path, outcome: str) -> None:
    edit(tree_dir, "20_questions.yaml", lambda d: d["nodes"]["decide"]["routes"].pop(outcome))
    assert_problem(problems_of(tree_dir), "20_questions.yaml", "decide", "no route", outcome)


def test_decision_route_for_unknown_outcome_is_reported(tree_dir: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["nodes"]["decide"]["routes"]["maybe"] = "goodbye"

    edit(tree_dir, "20_questions.yaml", change)
    assert_problem(problems_of(tree_dir), "20_questions.yaml", "decide", "unknown", "maybe")


def test_loop_of_automatic_nodes_is_reported(tree_dir: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        nodes = data["nodes"]
        nodes["location_route"]["otherwise"] = "spin_branch"
        nodes["spin_branch"] = {
            "kind": "branch",
            "routes": [{"when": {"supplier": "vattenfall"}, "next": "supplier"}],
            "otherwise": "spin_info",
        }
        nodes["spin_info"] = {"kind": "info", "text": "Nog even.", "next": "spin_branch"}

    edit(tree_dir, "20_questions.yaml", change)
    problems = problems_of(tree_dir)
    loops = [p for p in problems if "loop" in p.reason]
    assert loops, problems
    assert all(p.file == "20_questions.yaml" for p in loops)
    assert {p.node for p in loops} <= {"spin_branch", "spin_info"}
    assert "spin_branch" in loops[0].reason
    assert "spin_info" in loops[0].reason


def test_loop_of_automatic_nodes_in_a_minimal_tree(tmp_path: Path) -> None:
    data = minimal_tree(
        hop={"kind": "info", "text": "Een.", "next": "skip"},
        skip={
            "kind": "branch",
            "routes": [{"when": {"x": "1"}, "next": "done"}],
            "otherwise": "hop",
        },
    )
    data["nodes"]["ask"]["options"].append(option("ask:loop", "Rondje", "hop"))
    problems = problems_of(write_tree(tmp_path / "t", data))
    assert [p for p in problems if p.node in {"hop", "skip"} and "loop" in p.reason], problems
    assert all(p.file == "tree.yaml" for p in problems)


def test_minimal_tree_loads(tmp_path: Path) -> None:
    tree = load_tree(write_tree(tmp_path / "t", minimal_tree()))
    assert set(tree.nodes) == {"ask", "done"}


def test_invalid_yaml_is_reported(tree_dir: Path) -> None:
    (tree_dir / "20_questions.yaml").write_text("nodes:\n  energy: [unclosed\n", encoding="utf-8")
    problem = assert_problem(problems_of(tree_dir), "20_questions.yaml", "-", "not valid YAML")
    assert "20_questions.yaml" in str(problem)


def test_node_defined_in_two_files_is_reported(tree_dir: Path) -> None:
    twin = {"kind": "end", "text": "Dubbel."}
    edit(tree_dir, "40_person.yaml", lambda d: d["nodes"].update(goodbye=twin))
    assert_problem(problems_of(tree_dir), "40_person.yaml", "goodbye", "30_outcomes.yaml")


def test_unknown_node_kind_is_reported(tree_dir: Path) -> None:
    edit(tree_dir, "20_questions.yaml", lambda d: d["nodes"]["energy"].update(kind="quiz"))
    assert_problem(problems_of(tree_dir), "20_questions.yaml", "energy")


def test_too_long_option_id_is_reported(tree_dir: Path) -> None:
    too_long = "energy:" + "x" * (MAX_OPTION_ID_BYTES - len("energy:") + 1)
    edit(
        tree_dir,
        "20_questions.yaml",
        lambda d: d["nodes"]["energy"]["options"][0].update(id=too_long),
    )
    assert_problem(problems_of(tree_dir), "20_questions.yaml", "energy", "options.0.id")


def test_empty_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(TreeError, match=r"no \*\.yaml files"):
        load_tree(tmp_path)

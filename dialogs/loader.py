"""Loading the dialogue tree from YAML, with errors that name the file, node and reason.

A tree is a folder of YAML files. Each file may hold ``nodes:`` (merged across files), and
exactly one file holds the top-level ``start``, ``restart``, ``commands`` and ``messages``.
Loading validates the schema (pydantic) and then the graph (``dialogs.graph``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from dialogs.graph import check_graph
from dialogs.model import Node, Tree
from dialogs.problems import TreeError, TreeProblem

DEFAULT_TREE_DIR = Path(__file__).parent / "trees"
REQUIRED_MESSAGES = (
    "progress",
    "not_understood",
    "text_only",
    "stale_button",
    "first_question",
    "reasons_intro",
    "still_there",
    "no_email",
    "place_office",
    "place_office_address",
    "place_phone",
)
_TOP_LEVEL_KEYS = ("start", "restart", "commands", "messages")
_NODE_ADAPTER: TypeAdapter[Node] = TypeAdapter(Node)


def load_tree(directory: Path = DEFAULT_TREE_DIR) -> Tree:
    """Read, validate and check every ``*.yaml`` file in ``directory``."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise TreeError([TreeProblem(str(directory), "-", "no *.yaml files found")])
    problems: list[TreeProblem] = []
    nodes: dict[str, Node] = {}
    top: dict[str, Any] = {}
    for path in files:
        _read_file(path, nodes, top, problems)
    tree = _assemble(nodes, top, files[0].name, problems)
    if tree is not None:
        problems.extend(check_graph(tree))
    if problems or tree is None:
        raise TreeError(problems)
    return tree


def _read_file(
    path: Path, nodes: dict[str, Node], top: dict[str, Any], problems: list[TreeProblem]
) -> None:
    name = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        problems.append(TreeProblem(name, "-", f"not valid YAML: {exc}"))
        return
    if not isinstance(data, Mapping):
        problems.append(TreeProblem(name, "-", "the file must hold a mapping"))
        return
    for key in _TOP_LEVEL_KEYS:
        if key in data:
            if key in top:
                problems.append(TreeProblem(name, "-", f"'{key}' is defined in two files"))
            top[key] = data[key]
    unknown = set(data) - {*_TOP_LEVEL_KEYS, "nodes"}
    if unknown:
        problems.append(TreeProblem(name, "-", f"unknown top-level keys: {sorted(unknown)}"))
    raw_nodes = data.get("nodes") or {}
    if not isinstance(raw_nodes, Mapping):
        problems.append(TreeProblem(name, "-", "'nodes' must be a mapping"))
        return
    for node_id, raw in raw_nodes.items():
        _read_node(name, str(node_id), raw, nodes, problems)


def _read_node(
    file: str, node_id: str, raw: object, nodes: dict[str, Node], problems: list[TreeProblem]
) -> None:
    if node_id in nodes:
        problems.append(
            TreeProblem(file, node_id, f"node id also defined in {nodes[node_id].file}")
        )
        return
    if not isinstance(raw, Mapping):
        problems.append(TreeProblem(file, node_id, "a node must be a mapping"))
        return
    try:
        node = _NODE_ADAPTER.validate_python({**raw, "id": node_id, "file": file})
    except ValidationError as exc:
        problems.extend(TreeProblem(file, node_id, _describe(err)) for err in exc.errors())
        return
    nodes[node_id] = node


def _describe(error: Mapping[str, Any]) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()) if not _is_kind_tag(part))
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "missing" and location.endswith("text"):
        message = "missing text"
    return f"{location}: {message}" if location else message


def _is_kind_tag(part: object) -> bool:
    return part in {
        "choice", "input", "language", "info", "branch", "decision", "effect", "end", "outcome",
    }  # fmt: skip


def _assemble(
    nodes: dict[str, Node], top: dict[str, Any], first_file: str, problems: list[TreeProblem]
) -> Tree | None:
    missing = [key for key in _TOP_LEVEL_KEYS if key not in top]
    if missing:
        problems.append(TreeProblem(first_file, "-", f"no file defines {missing}"))
        return None
    messages = top.get("messages") or {}
    for key in REQUIRED_MESSAGES:
        if key not in messages:
            problems.append(TreeProblem(first_file, "-", f"messages.{key}: missing text"))
    try:
        return Tree.model_validate({**top, "nodes": nodes})
    except ValidationError as exc:
        problems.extend(TreeProblem(first_file, "-", _describe(err)) for err in exc.errors())
        return None

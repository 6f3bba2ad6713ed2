"""The dialogue tree as a Mermaid flowchart, for ``weeraan tree render`` and for review.

One Mermaid node per tree node, labelled with its id and the first words of its (Dutch)
text; the shape shows the kind: a question is rounded, an info message a plain box, a branch
or decision a rhombus, an end a stadium and an effect a subroutine box. Edges carry the
shortened option label (or the route condition). ``@return`` is a dashed edge to one shared
"return" node; the global commands are edges from one "commands" node.

The output depends only on the tree (nodes and commands in their file order), so rendering
the same tree twice gives the same text and a diff of two renders shows what changed.
"""

from __future__ import annotations

from collections.abc import Iterator

from dialogs.model import (
    RETURN,
    ActionNode,
    BranchNode,
    ChoiceNode,
    DecisionNode,
    EffectNode,
    EndNode,
    InfoNode,
    InputNode,
    LanguageNode,
    Node,
    OfferNode,
    OutcomeNode,
    Tree,
)

LABEL_WORDS = 6
"""How many words of a node's text its label shows."""
LABEL_CHARS = 40
EDGE_CHARS = 24

START_ID = "s_start"
RETURN_ID = "s_return"
COMMANDS_ID = "s_commands"
"""Ids of the drawing's own nodes; tree nodes are drawn as ``n_<id>`` so these never clash
(and no tree id, such as ``end``, can collide with a Mermaid keyword)."""

_ESCAPES = str.maketrans(
    {
        '"': "#quot;",
        "#": "#35;",
        "&": "#38;",
        "<": "#lt;",
        ">": "#gt;",
        "[": "#91;",
        "]": "#93;",
        "(": "#40;",
        ")": "#41;",
        "{": "#123;",
        "}": "#125;",
        "|": "#124;",
        ";": "#59;",
        "%": "#37;",
        "`": "#96;",
        "\\": "#92;",
    }
)
_Edge = tuple[str, str | None]
"""A target (node id or ``@return``) and the edge's label, if any."""


def render_mermaid(tree: Tree) -> str:
    """The whole tree as Mermaid ``flowchart TD`` source (ends with a newline)."""
    lines = ["flowchart TD"]
    lines.append(f'    {START_ID}(("{escape("start")}"))')
    lines += [f"    {_node_shape(node)}" for node in tree.nodes.values()]
    lines.append(f'    {RETURN_ID}(("{escape(RETURN)}"))')
    lines.append(f'    {COMMANDS_ID}{{{{"{escape("commands")}"}}}}')
    lines.append(f"    {_edge(START_ID, tree.start, None)}")
    for node in tree.nodes.values():
        lines += [f"    {_edge(_mermaid_id(node.id), t, label)}" for t, label in _edges(node)]
    lines += [f"    {_edge(COMMANDS_ID, t, label)}" for t, label in _command_edges(tree)]
    return "\n".join(lines) + "\n"


def escape(text: str) -> str:
    """Text made safe inside a quoted Mermaid label: specials become ``#code;`` entities."""
    return " ".join(text.split()).translate(_ESCAPES)


def shorten(text: str, words: int = LABEL_WORDS, chars: int = LABEL_CHARS) -> str:
    """The first ``words`` words of ``text`` (at most ``chars`` characters), with an ellipsis."""
    parts = text.split()
    short = " ".join(parts[:words])
    if len(short) > chars:
        short = short[: chars - 1]
    elif len(parts) <= words:
        return short
    return short.rstrip(" ,.;:") + "…"


def _short_label(label: str) -> str:
    return shorten(label, chars=EDGE_CHARS)


def _mermaid_id(node_id: str) -> str:
    if node_id == RETURN:
        return RETURN_ID
    return f"n_{node_id}"


def _node_shape(node: Node) -> str:
    label = escape(node.id)
    detail = getattr(node, "effect", None) or getattr(node, "action", None)
    detail = detail or getattr(node, "text", "")
    if detail:
        label += "<br/>" + escape(shorten(str(detail)))
    opening, closing = _brackets(node)
    return f'{_mermaid_id(node.id)}{opening}"{label}"{closing}'


def _brackets(node: Node) -> tuple[str, str]:
    """Mermaid's shape delimiters for the node's kind."""
    match node:
        case ChoiceNode() | InputNode() | LanguageNode() | OutcomeNode() | OfferNode():
            return "(", ")"  # a question: rounded
        case InfoNode():
            return "[", "]"
        case BranchNode() | DecisionNode():
            return "{", "}"  # rhombus
        case EndNode():
            return "([", "])"  # stadium
        case EffectNode() | ActionNode():
            return "[[", "]]"  # subroutine: something done outside the conversation


def _edge(source: str, target: str, label: str | None) -> str:
    arrow = "-.->" if target == RETURN else "-->"
    text = f'|"{escape(label)}"|' if label else ""
    return f"{source} {arrow}{text} {_mermaid_id(target)}"


def _edges(node: Node) -> Iterator[_Edge]:
    """Every edge of one node; buttons that lead to the same place share one edge."""
    match node:
        case ChoiceNode() | OutcomeNode():
            default = getattr(node, "next", None)
            yield from _merged((o.next or default, o.label) for o in node.options)
        case InputNode():
            yield node.next, f"input: {node.input}"
            yield from _merged((o.next, o.label) for o in node.options)
        case LanguageNode() | InfoNode() | EffectNode():
            yield node.next, None
        case BranchNode():
            for route in node.routes:
                condition = ", ".join(f"{k}={v}" for k, v in route.when.items())
                yield route.next, condition or None
            yield node.otherwise, "otherwise"
        case DecisionNode():
            yield from ((target, outcome) for outcome, target in node.routes.items())
        case OfferNode():
            yield node.next, f"free {node.source}"
            yield node.empty, "none free"
            yield from _merged((o.next, o.label) for o in node.options)
        case ActionNode():
            yield node.next, node.action
            yield node.fail, "taken" if node.action in ("book", "move") else "none"
            if node.exists:
                yield node.exists, "has another"
        case EndNode():
            return


def _merged(edges: Iterator[tuple[str | None, str]]) -> Iterator[_Edge]:
    by_target: dict[str, list[str]] = {}
    for target, label in edges:
        if target:
            by_target.setdefault(target, []).append(_short_label(label))
    for target, labels in by_target.items():
        yield target, " / ".join(labels)


def _command_edges(tree: Tree) -> Iterator[_Edge]:
    for name, command in tree.commands.items():
        target = command.target or (tree.restart if name == "restart" else None)
        if target:
            yield target, _short_label(command.label)

"""Graph checks for a parsed tree: every target exists, every node is reachable, every path ends.

Returned as problems (not raised) so that ``weeraan tree check`` can list them all at once.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterator

from dialogs.eligibility import OUTCOMES
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
from dialogs.problems import TreeProblem

AUTOMATIC = (InfoNode, BranchNode, DecisionNode, EffectNode, ActionNode)
_Add = Callable[[Node | None, str], None]


def targets(node: Node) -> Iterator[str]:
    """Every node id (or ``@return``) this node can lead to."""
    match node:
        case ChoiceNode() | OutcomeNode():
            for option in node.options:
                target = option.next or getattr(node, "next", None)
                if target:
                    yield target
        case InputNode():
            yield node.next
            yield from (o.next for o in node.options if o.next)
        case LanguageNode() | InfoNode() | EffectNode():
            yield node.next
        case BranchNode():
            yield from (route.next for route in node.routes)
            yield node.otherwise
        case DecisionNode():
            yield from node.routes.values()
        case OfferNode():
            yield node.next
            yield node.empty
            yield from (o.next for o in node.options if o.next)
        case ActionNode():
            yield node.next
            yield node.fail
            if node.exists:
                yield node.exists
        case EndNode():
            return


def check_graph(tree: Tree) -> list[TreeProblem]:
    """All graph problems of ``tree``; an empty list means the tree is sound."""
    problems: list[TreeProblem] = []

    def add(node: Node | None, reason: str) -> None:
        problems.append(TreeProblem(node.file if node else "-", node.id if node else "-", reason))

    _check_targets(tree, add)
    _check_options(tree, add)
    _check_decisions(tree, add)
    if problems:
        return problems
    _check_reachable(tree, add)
    _check_ends(tree, add)
    _check_automatic_cycles(tree, add)
    return problems


def _entry_points(tree: Tree) -> list[str]:
    entries = [tree.start, tree.restart]
    entries += [c.target for c in tree.commands.values() if c.target]
    return entries


def _check_targets(tree: Tree, add: _Add) -> None:
    for name, target in [("start", tree.start), ("restart", tree.restart)]:
        if target not in tree.nodes:
            add(None, f"{name} points to unknown node '{target}'")
    for cmd_name, cmd in tree.commands.items():
        if cmd.target and cmd.target not in tree.nodes:
            add(None, f"command '{cmd_name}' points to unknown node '{cmd.target}'")
    for node in tree.nodes.values():
        for target in targets(node):
            if target != RETURN and target not in tree.nodes:
                add(node, f"unknown target '{target}'")


def _check_options(tree: Tree, add: _Add) -> None:
    first_node: dict[str, str] = {}
    for node in tree.nodes.values():
        options = getattr(node, "options", ())
        ids = Counter(o.id for o in options)
        for option_id, count in ids.items():
            if count > 1:
                add(node, f"duplicate option id '{option_id}'")
            elif option_id in first_node:
                other = first_node[option_id]
                add(node, f"duplicate option id '{option_id}', also used in node '{other}'")
            first_node.setdefault(option_id, node.id)
        if isinstance(node, ChoiceNode | OutcomeNode):
            for option in options:
                if not (option.next or getattr(node, "next", None)):
                    add(node, f"dead end: option '{option.id}' has no next node")
        if isinstance(node, ChoiceNode) and node.key is None:
            for option in options:
                if option.value is not None:
                    add(node, f"option '{option.id}' has a value but the node has no key")


def _check_decisions(tree: Tree, add: _Add) -> None:
    for node in tree.nodes.values():
        if isinstance(node, DecisionNode):
            missing = set(OUTCOMES) - set(node.routes)
            unknown = set(node.routes) - set(OUTCOMES)
            if missing:
                add(node, f"no route for outcomes {sorted(missing)}")
            if unknown:
                add(node, f"routes for unknown outcomes {sorted(unknown)}")


def _check_reachable(tree: Tree, add: _Add) -> None:
    reached: set[str] = set()
    queue = deque(_entry_points(tree))
    while queue:
        node_id = queue.popleft()
        if node_id in reached or node_id == RETURN:
            continue
        reached.add(node_id)
        queue.extend(targets(tree.nodes[node_id]))
    for node_id, node in tree.nodes.items():
        if node_id not in reached:
            add(node, "unreachable: no path from the start or a command leads here")


def _check_ends(tree: Tree, add: _Add) -> None:
    """Every node must be able to reach an end node or return from a detour."""
    finishing = {n.id for n in tree.nodes.values() if isinstance(n, EndNode)}
    changed = True
    while changed:
        changed = False
        for node in tree.nodes.values():
            if node.id in finishing:
                continue
            if any(t == RETURN or t in finishing for t in targets(node)):
                finishing.add(node.id)
                changed = True
    for node in tree.nodes.values():
        if node.id not in finishing:
            add(node, "dead end: no path from here reaches an end")


def _check_automatic_cycles(tree: Tree, add: _Add) -> None:
    """A loop of nodes that never wait for the resident would spin forever."""
    for start in tree.nodes.values():
        if not isinstance(start, AUTOMATIC):
            continue
        path = [start.id]
        stack = [(start.id, iter(list(targets(start))))]
        while stack:
            _current, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                path.pop()
                continue
            if nxt == start.id:
                add(start, f"loop without a question: {' -> '.join([*path, nxt])}")
                return
            node = tree.nodes.get(nxt)
            if isinstance(node, AUTOMATIC) and nxt not in path:
                path.append(nxt)
                stack.append((nxt, iter(list(targets(node)))))

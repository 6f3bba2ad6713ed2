"""A Babel extractor for the dialogue tree: every Dutch text of a tree YAML file is a msgid.

Registered as the ``weeraan_tree`` extraction method (entry point in ``pyproject.toml``) and
used from ``babel.cfg``. The YAML is composed, not loaded, so that every text keeps the line
it was written on; each message carries a translator comment that names where it is used
(``node: safety_gas (text)``). Only the fields the engine shows are extracted: node ``text``,
``invalid`` and ``ask``, option ``label``, command ``label`` and the values of
``messages``. Ids, keys, values, targets, words and routes are never translated.

The msgid is the text as the loader sees it (pydantic strips surrounding whitespace), so a
catalog lookup with the engine's ``Msg.msgid`` always finds it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

import yaml

NODE_TEXT_FIELDS = ("text", "invalid", "ask")
"""The fields of a node that the resident reads (in the order a node usually lists them)."""

_STR_TAG = "tag:yaml.org,2002:str"
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")

Extracted = tuple[int, str | None, str, list[str]]
"""``(lineno, funcname, message, comments)``, as Babel expects from an extractor."""


def extract_tree(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Yield every translatable text of one tree file, with its line and a context comment.

    ``keywords`` and ``comment_tags`` are part of Babel's extractor signature but mean
    nothing in YAML. ``options`` may name an ``encoding`` (default UTF-8).
    """
    encoding = str(options.get("encoding", "utf-8"))
    source = fileobj.read().decode(encoding)
    root = yaml.compose(source, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return
    for key, value in _items(root):
        if key == "nodes":
            yield from _nodes(value)
        elif key == "commands":
            yield from _commands(value)
        elif key == "messages":
            yield from _messages(value)


def _nodes(nodes: yaml.Node) -> Iterator[Extracted]:
    for node_id, node in _items(nodes):
        for field, value in _items(node):
            if field in NODE_TEXT_FIELDS:
                yield from _text(value, f"node: {node_id} ({field})")
            elif field == "options" and isinstance(value, yaml.SequenceNode):
                for option in value.value:
                    yield from _option(node_id, option)


def _option(node_id: str, option: yaml.Node) -> Iterator[Extracted]:
    fields = dict(_items(option))
    option_id = _scalar(fields.get("id")) or "?"
    label = fields.get("label")
    if label is not None:
        yield from _text(label, f"node: {node_id}, option {option_id} (label)")


def _commands(commands: yaml.Node) -> Iterator[Extracted]:
    for name, command in _items(commands):
        for field, value in _items(command):
            if field == "label":
                yield from _text(value, f"command: {name} (label)")


def _messages(messages: yaml.Node) -> Iterator[Extracted]:
    for name, value in _items(messages):
        yield from _text(value, f"message: {name}")


def _text(value: yaml.Node, context: str) -> Iterator[Extracted]:
    text = _scalar(value)
    if not text:
        return
    comments = [context]
    placeholders = sorted(set(_PLACEHOLDER.findall(text)))
    if placeholders:
        names = ", ".join(f"{{{name}}}" for name in placeholders)
        comments.append(f"keep the placeholders {names} as they are")
    yield value.start_mark.line + 1, None, text, comments


def _items(node: yaml.Node | None) -> Iterator[tuple[str, yaml.Node]]:
    """The ``(key, value)`` pairs of a mapping node whose keys are plain strings."""
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value_node in node.value:
        key = _scalar(key_node)
        if key is not None:
            yield key, value_node


def _scalar(node: yaml.Node | None) -> str | None:
    """The stripped text of a string scalar (as the loader validates it), else ``None``."""
    if isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG:
        value: str = node.value
        return value.strip()
    return None

"""Placeholders in tree texts (``{when}``, ``{name}``...), filled from the conversation."""

from __future__ import annotations

import string
from datetime import datetime
from functools import lru_cache

from dialogs.model import Tree
from dialogs.state import ConversationState
from dialogs.text import Msg, Param, When

DERIVED = frozenset({"when", "slot_when", "place", "email", "reference"})
_FORMATTER = string.Formatter()


@lru_cache(maxsize=512)
def fields_of(text: str) -> tuple[str, ...]:
    """The named placeholders of ``text`` (empty when it has none or is not a format)."""
    try:
        return tuple(name for _, name, _, _ in _FORMATTER.parse(text) if name)
    except ValueError:
        return ()


def message(text: str, state: ConversationState, tree: Tree) -> Msg:
    """``text`` as a Msg with its placeholders filled from ``state``."""
    fields = fields_of(text)
    if not fields:
        return Msg(text)
    return Msg.of(text, **{name: _value(name, state, tree) for name in fields})


def _value(name: str, state: ConversationState, tree: Tree) -> Param:
    a = state.answers
    if name in ("when", "slot_when"):  # the booking's time, or the time just chosen
        start = a.get("booking_start" if name == "when" else "slot_start", "")
        try:
            return When(datetime.fromisoformat(start), "full")
        except ValueError:
            return ""
    if name == "place":
        return _place(state, tree)
    if name == "email":
        return a.get("email") or Msg(tree.messages["no_email"])
    if name == "reference":
        return a.get("booking_reference", "")
    return a.get(name, "")


def _place(state: ConversationState, tree: Tree) -> Msg:
    a = state.answers
    if a.get("booking_mode") == "phone":
        return Msg.of(tree.messages["place_phone"], phone=a.get("phone", ""))
    address = a.get("booking_address", "")
    if address:
        return Msg.of(tree.messages["place_office_address"], address=address)
    return Msg(tree.messages["place_office"])

"""Plain language checks on the Dutch source texts (B1: short sentences, known placeholders)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from dialogs.loader import load_tree
from dialogs.params import DERIVED, fields_of

POT = Path(__file__).resolve().parents[2] / "locales" / "messages.pot"
MAX_WORDS = 20
_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+|\n")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def words(sentence: str) -> list[str]:
    return [w for w in sentence.split() if re.search(r"\w", w)]


def long_sentences(text: str, limit: int = MAX_WORDS) -> list[str]:
    return [s for s in sentences(text) if len(words(s)) > limit]


def _msgids() -> list[str]:
    with POT.open("rb") as handle:
        catalog = read_po(handle)
    return [m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id]


def test_no_dutch_source_sentence_is_longer_than_20_words() -> None:
    offenders = [(len(words(s)), s) for text in _msgids() for s in long_sentences(text)]
    assert offenders == [], "split these sentences (B1: short sentences)"


def test_the_check_finds_a_long_sentence() -> None:
    long = " ".join(["woord"] * 21) + "."
    assert long_sentences(f"Kort. {long} Ook kort.") == [long]
    assert long_sentences("Een twee drie.\nVier vijf zes.") == []


NODES = sorted(load_tree().nodes.values(), key=lambda n: n.id)


@pytest.mark.parametrize("node", NODES, ids=[n.id for n in NODES])
def test_tree_placeholders_are_ones_the_engine_fills(node: object) -> None:
    """A misspelt placeholder would reach the resident as ``{naam}``: catch it here."""
    tree = load_tree()
    answer_keys = {getattr(n, "key", None) for n in tree.nodes.values()} - {None}
    answer_keys |= {
        k for n in tree.nodes.values() for o in getattr(n, "options", ()) for k in o.set
    }
    known = DERIVED | answer_keys | {"house_number", "location"}
    for field in ("text", "ask", "invalid"):
        value = getattr(node, field, None)
        if isinstance(value, str):
            assert set(fields_of(value)) <= known, (field, fields_of(value))

"""The tree extractor, the message template and the catalogs stay in step with the tree."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po

from dialogs.eligibility import REASON_TEXTS
from dialogs.extract import extract_tree
from dialogs.languages import DEFAULT_LOCALE, LANGUAGE_NAMES
from dialogs.loader import DEFAULT_TREE_DIR, load_tree
from dialogs.model import Tree

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "locales"
POT = LOCALES / "messages.pot"
TRANSLATED = sorted(set(LANGUAGE_NAMES) - {DEFAULT_LOCALE})

SMALL_TREE = b"""\
start: hello
commands:
  back:
    label: Terug
    words: [terug, /terug]
messages:
  progress: "Vraag {n} van {total}"
nodes:
  hello:
    kind: choice
    key: mood
    progress: 1
    text: |
      Hallo.
      Hoe gaat het?
    options:
      - {id: "mood:good", label: Goed, value: good, next: bye}
      - id: "mood:bad"
        value: bad
        label: "Niet zo \\"goed\\""
        next: bye
  ask_postcode:
    kind: input
    key: postcode
    input: postcode
    text: Uw postcode?
    invalid: Dat is geen postcode.
    next: route
  route:
    kind: branch
    routes:
      - {when: {mood: good}, next: bye}
    otherwise: bye
  result:
    kind: outcome
    text: Uitslag.
    ask: Verder?
    options:
      - {id: "result:yes", label: Ja, next: bye}
  bye:
    kind: end
    text: Tot ziens.
"""


def _extract(source: bytes) -> list[tuple[int, str | None, str, list[str]]]:
    return list(extract_tree(BytesIO(source), ["N_"], [], {}))


def _tree_texts(tree: Tree) -> set[str]:
    texts = set(tree.messages.values())
    texts |= {command.label for command in tree.commands.values()}
    for node in tree.nodes.values():
        for field in ("text", "invalid", "ask"):
            value = getattr(node, field, None)
            if value:
                texts.add(value)
        texts |= {option.label for option in getattr(node, "options", ())}
    return texts


def _read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def _msgids(catalog: Catalog) -> set[str]:
    return {str(message.id) for message in catalog if message.id}


def test_small_tree_yields_exactly_its_texts_with_lines_and_comments() -> None:
    assert _extract(SMALL_TREE) == [
        (4, None, "Terug", ["command: back (label)"]),
        (
            7,
            None,
            "Vraag {n} van {total}",
            ["message: progress", "keep the placeholders {n}, {total} as they are"],
        ),
        (13, None, "Hallo.\nHoe gaat het?", ["node: hello (text)"]),
        (17, None, "Goed", ["node: hello, option mood:good (label)"]),
        (20, None, 'Niet zo "goed"', ["node: hello, option mood:bad (label)"]),
        (26, None, "Uw postcode?", ["node: ask_postcode (text)"]),
        (27, None, "Dat is geen postcode.", ["node: ask_postcode (invalid)"]),
        (36, None, "Uitslag.", ["node: result (text)"]),
        (37, None, "Verder?", ["node: result (ask)"]),
        (39, None, "Ja", ["node: result, option result:yes (label)"]),
        (42, None, "Tot ziens.", ["node: bye (text)"]),
    ]


@pytest.mark.parametrize("source", [b"", b"- a list\n", b"nodes: []\n", b"nodes:\n  x: 3\n"])
def test_files_without_texts_yield_nothing(source: bytes) -> None:
    assert _extract(source) == []


def test_babel_finds_the_extractor_by_its_entry_point_name() -> None:
    found = list(extract("weeraan_tree", BytesIO(SMALL_TREE), keywords={"N_": None}))
    assert (42, "Tot ziens.", ["node: bye (text)"], None) in found


def test_every_text_of_the_real_tree_is_extracted_at_a_plausible_line() -> None:
    found: set[str] = set()
    for path in sorted(DEFAULT_TREE_DIR.glob("*.yaml")):
        lines = path.read_text(encoding="utf-8").splitlines()
        with path.open("rb") as file:
            extracted = list(extract_tree(file, ["N_"], [], {}))
        for lineno, funcname, message, comments in extracted:
            assert funcname is None
            assert 1 <= lineno <= len(lines), (path.name, lineno)
            first_line = message.splitlines()[0]
            near = lines[lineno - 1 : lineno + 1]  # the key line, or a block scalar's first line
            assert any(first_line in line for line in near), (path.name, lineno, message)
            assert re.match(r"(node|command|message): [a-z_]+", comments[0]), comments
            found.add(message)
    assert found == _tree_texts(load_tree())


def test_messages_pot_holds_the_tree_and_the_code_strings() -> None:
    msgids = _msgids(_read(POT))
    assert _tree_texts(load_tree()) <= msgids
    assert set(REASON_TEXTS.values()) <= msgids


def _makefile_extract_args(output: Path) -> list[str]:
    """The ``pybabel extract`` arguments of the Makefile's ``i18n`` target, writing ``output``."""
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(line for line in recipe.splitlines() if "pybabel extract" in line)
    args = shlex.split(line)
    args = args[args.index("extract") + 1 :]
    args[args.index("-o") + 1] = str(output)
    return args


@pytest.mark.slow
def test_messages_pot_is_current(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "-q", "extract"]
    done = subprocess.run(
        [*command, *_makefile_extract_args(fresh)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    current, committed = _msgids(_read(fresh)), _msgids(_read(POT))
    assert not current - committed, "new texts are missing from messages.pot: run `make i18n`"
    assert not committed - current, "messages.pot has texts that are gone: run `make i18n`"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_msgid_is_in_every_catalog(locale: str) -> None:
    catalog = _read(LOCALES / locale / "LC_MESSAGES" / "messages.po")
    assert not catalog.fuzzy, "a fuzzy catalog header makes `pybabel compile` skip it"
    assert _msgids(_read(POT)) <= _msgids(catalog)


@pytest.mark.parametrize(("locale", "plurals"), [("ar", 6), ("pl", 3), ("uk", 3), ("en", 2)])
def test_catalogs_have_their_languages_plural_forms(locale: str, plurals: int) -> None:
    catalog = _read(LOCALES / locale / "LC_MESSAGES" / "messages.po")
    assert catalog.num_plurals == plurals
    assert f"nplurals={plurals};" in catalog.plural_forms

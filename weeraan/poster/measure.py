"""How wide a line of text will be, estimated without a font file, and wrapping by it.

The widths are those of DejaVu Sans, a wide sans-serif that is on most Linux systems;
the common system fonts (Segoe UI, Roboto, Arial, Noto Sans) are narrower, so a line that
fits by this estimate fits in them too. Widths are in ems; bold adds a tenth.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

NARROW: Final = frozenset(" .,:;'!|()[]ijlrtfI1-‐·")
WIDE: Final = frozenset("mwMWжшщюыЖШЩЮЫмМ@%")
INVISIBLE: Final = frozenset("\u2066\u2067\u2068\u2069\u200e\u200f")
BOLD: Final = 1.1


def char_width(char: str) -> float:
    if char in INVISIBLE or unicodedata.combining(char) or unicodedata.category(char) == "Mn":
        return 0.0
    if char in NARROW:
        return 0.36
    if char in WIDE:
        return 1.0
    if char.isupper():
        return 0.76
    return 0.64


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """The estimated advance of ``text`` at font size ``size``, in the same unit."""
    ems = sum(char_width(char) for char in text)
    return ems * size * (BOLD if bold else 1.0)


def wrap(text: str, width: float, size: float, *, bold: bool = False) -> list[str]:
    """Words into lines no wider than ``width``; a word longer than a line is broken."""
    return _fill(text.split(), " ", width, size, bold)


def wrap_link(link: str, width: float, size: float, *, bold: bool = False) -> list[str]:
    """An address into lines, broken after a ``/``, ``?`` or ``=`` where it must be."""
    parts = [part for part in re.split(r"(?<=[/?=])", link) if part]
    return _fill(parts, "", width, size, bold)


def _fill(words: list[str], joiner: str, width: float, size: float, bold: bool) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in words:
        candidate = f"{line}{joiner}{word}" if line else word
        if text_width(candidate, size, bold=bold) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while text_width(line, size, bold=bold) > width and len(line) > 1:
            cut = _longest_prefix(line, width, size, bold)
            lines.append(line[:cut])
            line = line[cut:]
    if line:
        lines.append(line)
    return lines


def _longest_prefix(word: str, width: float, size: float, bold: bool) -> int:
    cut = len(word) - 1
    while cut > 1 and text_width(word[:cut], size, bold=bold) > width:
        cut -= 1
    return cut

"""Put the current Mermaid flowchart of the dialogue tree into README.md."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from dialogs.loader import load_tree
from dialogs.mermaid import render_mermaid

START, END = "<!-- tree:start -->", "<!-- tree:end -->"


def with_flowchart(readme: str, flowchart: str) -> str:
    block = f"{START}\n```mermaid\n{flowchart.rstrip()}\n```\n{END}"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(readme):
        raise SystemExit(f"README has no {START} … {END} markers")
    return pattern.sub(lambda _: block, readme)


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    text = path.read_text(encoding="utf-8")
    path.write_text(with_flowchart(text, render_mermaid(load_tree())), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

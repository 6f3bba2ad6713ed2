"""(e) What a resident's browser downloads for the widget: ``widget.js`` and its CSS, gzipped."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

STATIC = Path(__file__).resolve().parent.parent / "webhook" / "static"
FILES = ("widget.js", "widget.css")


def run() -> dict[str, Any]:
    sizes = {}
    for name in FILES:
        raw = (STATIC / name).read_bytes()
        sizes[name] = {"bytes": len(raw), "gzip_bytes": len(gzip.compress(raw, compresslevel=9))}
    total = sum(size["gzip_bytes"] for size in sizes.values())
    return {"files": sizes, "gzip_bytes": total, "gzip_kb": round(total / 1000, 2)}

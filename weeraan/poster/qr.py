"""A QR code as one SVG path: a rectangle for each run of dark modules in a row.

The path is drawn in module units (integers) and placed by a transform, so it is exact at
any print size and can be read back module by module.
"""

from __future__ import annotations

from typing import Final
from xml.etree.ElementTree import Element, SubElement

import segno

QUIET_ZONE: Final = 4  # modules of white around the code, as the QR standard asks


def matrix(url: str) -> list[list[bool]]:
    """The code's modules (True = dark), without the quiet zone."""
    code = segno.make(url, error="m", micro=False)
    return [[bool(module) for module in row] for row in code.matrix]


def path_data(modules: list[list[bool]]) -> str:
    runs = []
    for y, row in enumerate(modules):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    return "".join(runs)


def qr_group(url: str, *, x: float, y: float, size: float, element_id: str) -> Element:
    """The code of ``url`` with its quiet zone as a ``size`` × ``size`` square at (x, y)."""
    modules = matrix(url)
    count = len(modules) + 2 * QUIET_ZONE
    unit = size / count
    group = Element(
        "g",
        {"id": element_id, "role": "img", "aria-label": f"QR-code: {url}"},
    )
    SubElement(group, "rect", _box(x, y, size, size, fill="#fff"))
    origin = f"translate({_n(x + QUIET_ZONE * unit)} {_n(y + QUIET_ZONE * unit)})"
    code = SubElement(group, "g", {"transform": f"{origin} scale({_n(unit)})"})
    attributes = {"d": path_data(modules), "fill": "#000", "shape-rendering": "crispEdges"}
    SubElement(code, "path", attributes)
    return group


def _box(x: float, y: float, width: float, height: float, **extra: str) -> dict[str, str]:
    return {"x": _n(x), "y": _n(y), "width": _n(width), "height": _n(height), **extra}


def _n(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")

"""The funnel as a horizontal bar chart: the geometry here, the SVG markup in the template
``staff_funnel_chart.svg`` (inline in the page: no script, no inline style, so it works
under the dashboard's CSP; colours come from ``staff.css``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from webhook.funnel.report import NodeRow

LABEL_WIDTH: Final = 230
BAR_SPACE: Final = 460
NUMBER_WIDTH: Final = 130
ROW_HEIGHT: Final = 30
TOP: Final = 34
"""Room above the first bar for the legend."""


@dataclass(frozen=True)
class Bar:
    node: str
    kind: str
    y: int
    reached: int
    stopped: int
    reached_width: float
    stopped_width: float

    @property
    def middle(self) -> int:
        return self.y + ROW_HEIGHT // 2


@dataclass(frozen=True)
class Chart:
    bars: tuple[Bar, ...]
    height: int
    width: int = LABEL_WIDTH + BAR_SPACE + NUMBER_WIDTH
    label_width: int = LABEL_WIDTH
    bar_space: int = BAR_SPACE


def funnel_chart(rows: Sequence[NodeRow], kinds: Mapping[str, str]) -> Chart:
    """One bar per node: ``reached`` as a long light bar, ``stopped`` as a dark one inside it,
    both to one scale (the most reached node fills the space)."""
    most = max((row.reached for row in rows), default=0) or 1
    bars = tuple(
        Bar(
            node=row.node,
            kind=kinds.get(row.node, ""),
            y=TOP + index * ROW_HEIGHT,
            reached=row.reached,
            stopped=row.stopped,
            reached_width=_width(row.reached, most),
            stopped_width=_width(row.stopped, most),
        )
        for index, row in enumerate(rows)
    )
    return Chart(bars, height=TOP + len(bars) * ROW_HEIGHT + 8)


def _width(count: int, most: int) -> float:
    """Bars never go below zero or past the space; a non-zero count is at least visible."""
    if count <= 0:
        return 0.0
    return round(max(2.0, BAR_SPACE * min(count, most) / most), 1)

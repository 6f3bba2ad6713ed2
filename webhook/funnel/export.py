"""The funnel as CSV for a spreadsheet: the node rows (as the chart shows them), the outcome
rows, then the source rows (``reached``: conversations started; ``finished``: ends reached;
``(overig)`` sums the sources past the page's cap). Cells go through the staff CSV's guard
against formula injection."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Final

from fastapi.responses import Response

from webhook.funnel.report import FunnelFilter, FunnelReport
from webhook.funnel.sources import SourceRow
from webhook.staff.csv_export import cell

COLUMNS: Final = ("section", "name", "reached", "stopped", "finished")


def funnel_csv(report: FunnelReport, sources: Sequence[SourceRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for node in report.nodes:
        writer.writerow(["node", cell(node.node), node.reached, node.stopped, ""])
    for outcome in report.outcomes:
        writer.writerow(["outcome", cell(outcome.outcome), "", "", outcome.finished])
    for source in sources:
        writer.writerow(["source", cell(source.source), source.started, "", source.finished])
    return buffer.getvalue()


def funnel_csv_response(
    report: FunnelReport, sources: Sequence[SourceRow], chosen: FunnelFilter
) -> Response:
    filename = f"weeraan-funnel-{chosen.first.isoformat()}-{chosen.last.isoformat()}.csv"
    return Response(
        content=funnel_csv(report, sources),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )

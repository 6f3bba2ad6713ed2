"""The funnel page (``/staff/funnel``) and its CSV (``/staff/funnel.csv``): anonymous counts
only, so no audit entry per view; the same login as every dashboard page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from webhook.deps import get_components
from webhook.errors import error_response
from webhook.funnel.chart import funnel_chart
from webhook.funnel.export import funnel_csv_response
from webhook.funnel.filters import BadFilter, parse_filter
from webhook.funnel.report import FunnelFilter, FunnelReport, funnel_report
from webhook.funnel.sources import OTHER, SourceRow, source_rows, top_sources
from webhook.staff.deps import PageSession, desk_for
from webhook.staff.labels import LABELS
from webhook.staff.pages import frame, local_today, render
from webhook.staff.sessions import DashboardSession

router = APIRouter(prefix="/staff", include_in_schema=False)
CHANNELS: Final = tuple(LABELS["channel"])
KINDS: Final = {
    "choice": "Vraag",
    "input": "Vraag (typen)",
    "language": "Taalkeuze",
    "info": "Uitleg",
    "branch": "Splitsing",
    "decision": "Beslissing",
    "effect": "Terugbelverzoek",
    "end": "Einde",
    "offer": "Tijden kiezen",
    "action": "Boeken",
    "outcome": "Uitkomst",
}


def _filter(request: Request, session: DashboardSession) -> FunnelFilter:
    languages = get_components(request).service.engine.languages
    return parse_filter(
        request.query_params,
        today=local_today(desk_for(request, session)),
        languages=languages,
        channels=CHANNELS,
    )


@dataclass(frozen=True)
class _Read:
    report: FunnelReport
    sources: tuple[SourceRow, ...]
    """Where residents came from (capped; the last row may be ``OTHER``)."""
    options: tuple[str, ...]
    """The source filter's choices: the period's most frequent sources and the chosen one."""


async def _read(request: Request, chosen: FunnelFilter) -> _Read:
    components = get_components(request)
    tree = components.service.engine.tree
    async with components.db.connect() as connection:
        report = await funnel_report(connection, chosen, order=list(tree.nodes))
        sources = await source_rows(connection, chosen)
        period = FunnelFilter(chosen.first, chosen.last)
        options = [source for source, _ in await top_sources(connection, period)]
    if chosen.source is not None and chosen.source not in options:
        options.append(chosen.source)
    return _Read(report, sources, tuple(sorted(options)))


@router.get("/funnel", response_class=HTMLResponse)
async def funnel_page(request: Request, session: PageSession) -> Response:
    """Per node: how many conversations reached it and stopped there; the outcome mix; where
    residents came from."""
    desk = desk_for(request, session)
    context = {
        "current": "funnel",
        "languages": get_components(request).service.engine.languages,
        "channels": CHANNELS,
        **await frame(desk),
    }
    try:
        chosen = _filter(request, session)
    except BadFilter as bad:
        asked = dict(request.query_params)
        return render(
            request,
            "staff_funnel.html",
            session,
            status=422,
            problem=str(bad),
            asked=asked,
            report=None,
            chart=None,
            options=(),
            **context,
        )
    read = await _read(request, chosen)
    report = read.report
    tree = get_components(request).service.engine.tree
    kinds = {node: KINDS.get(tree.node(node).kind, "") for node in tree.nodes}
    return render(
        request,
        "staff_funnel.html",
        session,
        asked=_asked(chosen),
        chosen=chosen,
        report=report,
        chart=funnel_chart(report.nodes, kinds),
        sources=read.sources,
        options=read.options,
        other=OTHER,
        **context,
    )


@router.get("/funnel.csv")
async def funnel_csv_download(request: Request, session: PageSession) -> Response:
    try:
        chosen = _filter(request, session)
    except BadFilter as bad:
        return error_response(422, "bad_filter", str(bad))
    read = await _read(request, chosen)
    return funnel_csv_response(read.report, read.sources, chosen)


def _asked(chosen: FunnelFilter) -> dict[str, str]:
    """The form's values (and the CSV link's query) for ``chosen``."""
    return {
        "from": chosen.first.isoformat(),
        "to": chosen.last.isoformat(),
        "language": chosen.locale or "",
        "channel": chosen.channel or "",
        "source": chosen.source or "",
    }

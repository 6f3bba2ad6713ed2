"""The figures of a run against the design's targets: a table for people, JSON for tools."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Figure:
    name: str
    value: str
    target: str
    met: bool | None  # None: no target, or not measured


def _get(results: dict[str, Any], *path: str) -> Any:
    value: Any = results
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def figures(results: dict[str, Any]) -> list[Figure]:
    rows: list[Figure] = []
    rows += _telegram(results.get("telegram"))
    rows += _booking(results.get("booking"))
    rows += _rest(results)
    return rows


def _telegram(t: dict[str, Any] | None) -> list[Figure]:
    if not t:
        return []
    cpu = t["cpu_ms_per_request"]
    half, quarter = t["open"]["half"], t["open"]["quarter"]
    return [
        Figure("B₀ updates/s (closed loop)", f"{t['b0_per_second']:.0f}", "", None),
        Figure("full step updates/s", f"{t['app_per_second']:.0f}", "", None),
        Figure(
            "full step / B₀ (throughput)",
            f"{t['ratio']:.3f}",
            "≥ 0.5 (goal 0.75)",
            t["ratio"] >= 0.5,
        ),
        Figure(
            "server CPU ms per update: B₀ / full step",
            f"{cpu['b0']:.2f} / {cpu['app']:.2f}",
            "",
            None,
        ),
        Figure(
            f"B₀ p50 / p99 at ½ B₀ ({half['rate']:.0f}/s)",
            f"{half['b0']['p50_ms']:.1f} / {half['b0']['p99_ms']:.1f} ms",
            "",
            None,
        ),
        Figure(
            f"full step p50 / p99 at ½ B₀ ({half['rate']:.0f}/s)",
            f"{half['app']['p50_ms']:.1f} / {half['app']['p99_ms']:.1f} ms",
            "",
            None,
        ),
        Figure(
            f"full step p50 / p99 at ¼ B₀ ({quarter['rate']:.0f}/s)",
            f"{quarter['app']['p50_ms']:.1f} / {quarter['app']['p99_ms']:.1f} ms",
            "p99 ≤ 25 ms",
            quarter["app"]["p99_ms"] <= 25,
        ),
    ]


def _booking(b: dict[str, Any] | None) -> list[Figure]:
    if not b:
        return []
    rows = []
    for name, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        r = b.get(name)
        if not r:
            continue
        if "skipped" in r:
            rows.append(Figure(f"bookings on {label}", f"skipped: {r['skipped']}", "", None))
            continue
        target = name == "sqlite"
        rate, p99 = r["confirmations_per_second"], r["p99_ms_at_open_rate"]
        c = r["contention"]
        rows += [
            Figure(
                f"booking confirmations/s, {label}",
                f"{rate:.0f}",
                "≥ 500" if target else "",
                rate >= 500 if target else None,
            ),
            Figure(
                f"booking p99 at {r['open_rate']:.0f}/s, {label}",
                f"{p99:.1f} ms",
                "≤ 50 ms" if target else "",
                p99 <= 50 if target else None,
            ),
            Figure(
                f"{c['attempts']} at once on a slot of {c['capacity']}, {label}",
                f"{c['bookings']} booked",
                f"exactly {c['capacity']}",
                c["exact"],
            ),
        ]
    return rows


def _rest(results: dict[str, Any]) -> list[Figure]:
    rows = []
    w = results.get("widget")
    if w:
        rows.append(
            Figure(
                f"widget p99, {w['sessions']} sessions ({w['rate']:.0f} msg/s)",
                f"{w['p99_ms']:.1f} ms",
                "≤ 50 ms",
                w["p99_ms"] <= 50,
            )
        )
    m = results.get("memory")
    if m:
        rows.append(
            Figure(
                f"memory growth after {m['residents']:,} residents",
                f"{m['growth_mib']:.1f} MiB",
                "≤ 20 MiB",
                m["growth_mib"] <= 20,
            )
        )
    s = results.get("static")
    if s:
        rows.append(
            Figure(
                "widget.js + CSS gzipped",
                f"{s['gzip_kb']:.1f} KB",
                "≤ 15 KB",
                s["gzip_bytes"] <= 15_000,
            )
        )
    r = results.get("ready")
    if r:
        rows.append(
            Figure(
                "weeraan serve ready: first start / restart",
                f"{r['first_start_s']:.2f} / {r['restart_s']:.2f} s",
                "≤ 3 s",
                max(r["first_start_s"], r["restart_s"]) <= 3,
            )
        )
        rows.append(
            Figure(
                "imports alone: the app / aiogram",
                f"{r['import_app_s']:.2f} / {r['import_aiogram_s']:.2f} s",
                "",
                None,
            )
        )
    return rows


def _mark(met: bool | None) -> str:
    return "" if met is None else "met" if met else "NOT met"


def table(rows: list[Figure]) -> str:
    """A plain table for the terminal."""
    width = max(len(r.name) for r in rows)
    value = max(len(r.value) for r in rows)
    target = max(len(r.target) for r in rows)
    return "\n".join(
        f"{r.name:<{width}}  {r.value:>{value}}  {r.target:<{target}}  {_mark(r.met)}" for r in rows
    )


def markdown(rows: list[Figure], machine: dict[str, Any]) -> str:
    """The same as a Markdown table, with the machine (for the README)."""
    lines = ["| figure | measured | target | |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.name} | {r.value} | {r.target} | {_mark(r.met)} |" for r in rows]
    lines.append("")
    lines.append(
        f"Measured on {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, "
        f"{machine['system']} ({machine['pinned']})."
    )
    return "\n".join(lines)

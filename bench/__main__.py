"""``python -m bench [--quick] [--only NAME ...]``: run the benchmarks, print the table and
write JSON (``bench/results/latest.json``; a quick run writes ``quick.json``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import booking, memory, ready, static, telegram, widget
from bench.appenv import LIFTED
from bench.context import Context, Size, fake_bot_api
from bench.machine import describe
from bench.report import figures, markdown, table
from bench.servers import pin_self

RESULTS = Path(__file__).resolve().parent / "results"
Scenario = Callable[[Context], Awaitable[dict[str, Any]]]
SCENARIOS: dict[str, Scenario] = {
    "ready": ready.run,
    "telegram": telegram.run,
    "booking": booking.run,
    "widget": widget.run,
    "memory": memory.run,
}


async def measure(size: Size, only: list[str], *, keep: bool = False) -> dict[str, Any]:
    results: dict[str, Any] = {}
    if not only or "static" in only:
        results["static"] = static.run()
    scratch = Path(tempfile.mkdtemp(prefix="weeraan-bench-"))
    try:
        async with fake_bot_api(scratch) as api_base:
            ctx = Context(size, scratch, api_base)
            for name, scenario in SCENARIOS.items():
                if only and name not in only:
                    continue
                print(f"… {name}", flush=True)
                started = time.perf_counter()
                results[name] = await scenario(ctx)
                results[name]["took_s"] = round(time.perf_counter() - started, 1)
    finally:
        if keep:
            print(f"servers' logs and databases kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="tiny numbers: proves the harness")
    parser.add_argument("--only", nargs="*", default=[], choices=["static", *SCENARIOS])
    parser.add_argument("--keep", action="store_true", help="keep the servers' logs")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    pin_self()
    size = Size.quick() if args.quick else Size()
    results = asyncio.run(measure(size, args.only, keep=args.keep))
    rows = figures(results)
    machine = describe()
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine,
        "note": LIFTED,
        "figures": [row.__dict__ for row in rows],
        "results": results,
    }
    out = args.out or RESULTS / ("quick.json" if args.quick else "latest.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print()
    print(f"Note: {LIFTED}.")
    print(table(rows))
    print()
    print(markdown(rows, machine))
    print(f"\nwritten to {out.name} in bench/results")


if __name__ == "__main__":
    main()

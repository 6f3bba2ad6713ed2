"""``python -m bench [--quick] [--only NAME ...]``: run the benchmarks, print, write JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import telegram
from bench.context import Context, Size, fake_bot_api
from bench.servers import pin_self

SCENARIOS = {"telegram": telegram.run}


async def main(size: Size, only: list[str], *, keep: bool = False) -> dict[str, Any]:
    results: dict[str, Any] = {}
    scratch = tempfile.mkdtemp(prefix="weeraan-bench-")
    try:
        async with fake_bot_api(Path(scratch)) as api_base:
            ctx = Context(size, Path(scratch), api_base)
            for name, scenario in SCENARIOS.items():
                if only and name not in only:
                    continue
                started = time.perf_counter()
                results[name] = await scenario(ctx)
                results[name]["took_s"] = round(time.perf_counter() - started, 1)
                print(name, json.dumps(results[name])[:2000], flush=True)
    finally:
        if keep:
            print(f"servers' logs and databases kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    pin_self()
    asyncio.run(main(Size.quick() if args.quick else Size(), args.only, keep=args.keep))

"""The benchmark harness runs end to end on tiny numbers (it measures nothing here: speed is
the benchmark's business, not a test's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import figures, table
from bench.stats import percentile

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/none"


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([], 0.99) == 0.0


def test_a_skipped_database_is_said_not_judged() -> None:
    rows = figures({"booking": {"postgresql": {"skipped": "PostgreSQL not reachable (OSError)"}}})
    assert [(r.value, r.met) for r in rows] == [
        ("skipped: PostgreSQL not reachable (OSError)", None)
    ]
    assert "skipped" in table(rows)


@pytest.mark.slow
def test_the_quick_run_measures_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    postgres = os.environ.get("WEERAAN_TEST_POSTGRES_URL", UNREACHABLE)
    env = {**os.environ, "WEERAAN_BENCH_POSTGRES": postgres}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    names = " ".join(f["name"] for f in report["figures"])
    for figure in ("full step / B₀", "booking confirmations/s, SQLite", "widget p99", "memory"):
        assert figure in names
    assert report["results"]["booking"]["sqlite"]["contention"]["exact"] is True
    assert report["results"]["telegram"]["closed_runs"]["app"][0]["errors"] == {}
    assert "limits lifted" in done.stdout

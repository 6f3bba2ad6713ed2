"""The machine a run was measured on (no paths, no host names)."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from bench.servers import can_pin


def describe() -> dict[str, object]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.machine()}",
        "pinned": "server on core 0, load on core 1" if can_pin() else "not pinned",
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"

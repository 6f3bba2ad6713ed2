"""A PostgreSQL server of the test's own, so that it can be stopped and restarted.

Restarting the shared server would break every other test using it; this one lives in a
temporary directory on a free port, with the same binaries (Debian's ``postgresql``
package, or whatever ``pg_config --bindir`` names). Run as root, it runs as ``postgres``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


def bindir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` are, if anywhere."""
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(Path(found.stdout.strip()))
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    return next(
        (c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None
    )


class Cluster:
    """One PostgreSQL server: ``start``, ``stop`` (fast: clients are cut off), ``restart``."""

    def __init__(self, bin: Path, root: Path, port: int, owner: str | None) -> None:
        self.bin = bin
        self.data = root / "data"
        self.log = root / "server.log"
        self.port = port
        self.owner = owner
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.owner is not None:
            command = ["runuser", "-u", self.owner, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr[-2000:]}{self._log_tail()}")

    def _log_tail(self) -> str:
        return self.log.read_text()[-2000:] if self.log.exists() else ""

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def own_cluster(port: int) -> Iterator[Cluster]:
    """A new, started cluster; stopped and removed afterwards. Needs the binaries."""
    bin = bindir()
    if bin is None:
        raise FileNotFoundError("no PostgreSQL server binaries (initdb, pg_ctl) found")
    owner = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="weeraan-pg-"))
    if owner is not None:
        entry = pwd.getpwnam(owner)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    cluster = Cluster(bin, root, port, owner)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        with suppress(RuntimeError):  # already stopped
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)

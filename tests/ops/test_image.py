"""The Docker image, step by step without Docker: the Dockerfile is read, and its steps are
performed in a temporary folder that stands for the image's file system.

The build stage's sources are copied as its ``COPY`` lines say, built into a wheel and the
catalogs compiled; the wheel is installed into a fresh virtual environment (from PyPI, as
``pip install`` in the image does); the catalogs go where the run stage puts them; ``weeraan
serve`` starts as ``CMD`` says with the image's environment, and the ``HEALTHCHECK`` command
must fail before it listens and pass once it does.
"""

from __future__ import annotations

import json
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import stop

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
Instruction = tuple[str, str]


def instructions() -> list[Instruction]:
    """The Dockerfile as (KEYWORD, arguments), continuation lines joined, comments left out."""
    joined: list[str] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip().removesuffix("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            joined.append(pending.strip())
            pending = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in joined]


def stages() -> list[list[Instruction]]:
    found: list[list[Instruction]] = []
    for keyword, arguments in instructions():
        if keyword == "FROM":
            found.append([])
        found[-1].append((keyword, arguments))
    return found


def one(stage: list[Instruction], keyword: str) -> str:
    [arguments] = [args for key, args in stage if key == keyword]
    return arguments


def environment(stage: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, arguments in stage:
        if keyword == "ENV":
            for part in shlex.split(arguments):
                name, _, value = part.partition("=")
                env[name] = value
    return env


def exec_form(arguments: str) -> list[str]:
    """A ``CMD`` in exec (JSON) form, after options such as ``--interval``."""
    start = arguments.index("[")
    command: list[str] = json.loads(arguments[start:])
    return command


def test_the_image_runs_unprivileged_with_a_volume_a_port_and_a_health_check() -> None:
    build, run = stages()
    assert one(build, "FROM").endswith("AS build")
    assert one(run, "FROM") == "python:3.11-slim"
    assert one(run, "USER") not in {"root", "0"}
    assert one(run, "EXPOSE") == "8000"
    assert json.loads(one(run, "VOLUME")) == ["/data"]
    assert exec_form(one(run, "CMD"))[:2] == ["weeraan", "serve"]
    assert "/healthz" in " ".join(exec_form(one(run, "HEALTHCHECK")))
    assert environment(run)["WEERAAN_DATABASE_URL"].endswith("////data/weeraan.db")


def test_no_secret_or_database_goes_into_the_build_context() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ignored[ignored.index("*") - 1].startswith("#"), "everything is left out first"
    for pattern in ("**/*.key", "**/.env", "**/*.db", "**/*.mo"):
        assert pattern in ignored
    copied = {path for key, args in stages()[0] if key == "COPY" for path in shlex.split(args)[:-1]}
    allowed = {line.removeprefix("!").rstrip("/") for line in ignored if line.startswith("!")}
    assert copied == allowed, "the build context holds what the build stage copies"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _run(
    command: list[str], timeout: float = 300, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


def _build_stage(image: Path) -> Path:
    """The build stage: its ``COPY`` lines, the wheel, the compiled catalogs; the wheel."""
    build, _run_stage = stages()
    source = image / "src"
    source.mkdir()
    for keyword, arguments in build:
        if keyword == "COPY":
            *sources, _target = shlex.split(arguments)
            for name in sources:
                origin = ROOT / name
                if origin.is_dir():
                    ignore = shutil.ignore_patterns("__pycache__", "*.mo", "*.pyc")
                    shutil.copytree(origin, source / name, ignore=ignore)
                else:
                    shutil.copy(origin, source / name)
    wheels = image / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)])
    pybabel = Path(sys.executable).parent / "pybabel"
    _run([str(pybabel), "compile", "-d", str(source / "locales"), "-D", "messages"])
    [wheel] = wheels.glob("weeraan-*.whl")
    return wheel


def _in_image(value: str, image: Path) -> str:
    """An image path (``/data``, ``/app``) as the folder standing for it."""
    for top in ("/data", "/app"):
        value = value.replace(top, str(image) + top)
    return value


def _health(check: list[str], python: Path, port: int) -> subprocess.CompletedProcess[str]:
    command = [str(python), *check[1:]]
    command = [part.replace(":8000/", f":{port}/") for part in command]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=10, check=False, cwd=python.parent
    )


@pytest.mark.slow
def test_the_image_steps_give_a_server_that_is_healthy_and_ready(tmp_path: Path) -> None:
    _build, run = stages()
    image = tmp_path
    wheel = _build_stage(image)
    venv = image / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], timeout=600)
    shutil.copytree(image / "src" / "locales", image / "app" / "locales")
    (image / "data").mkdir()

    python = venv / "bin" / "python"
    where = "import webhook; print(webhook.__file__)"
    installed = _run([str(python), "-c", where], cwd=image / "data")
    assert installed.stdout.startswith(str(venv)), "the wheel, not this checkout"
    locales = image / "app" / "locales"
    compiled = sorted(p.parent.parent.name for p in locales.glob("*/LC_MESSAGES/messages.mo"))
    translated = sorted(p.parent.parent.name for p in locales.glob("*/LC_MESSAGES/messages.po"))
    assert compiled == translated
    assert len(compiled) >= 5

    port = _free_port()
    env = {key: _in_image(value, image) for key, value in environment(run).items()}
    env |= {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(image / "data")}
    command = exec_form(one(run, "CMD"))
    command = [str(port) if part == "8000" else part for part in command]
    check = exec_form(one(run, "HEALTHCHECK"))
    assert _health(check, python, port).returncode != 0, "nothing listens yet"

    log = image / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [shutil.which(command[0], path=env["PATH"]) or command[0], *command[1:]],
            cwd=_in_image(one(run, "WORKDIR"), image),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while (healthy := _health(check, python, port)).returncode != 0:
            assert server.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, healthy.stderr[-2000:]
            time.sleep(0.2)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            ready = http.get("/readyz")
            dutch = http.post("/api/chat/sessions", json={"locale": "nl"})
            english = http.post("/api/chat/sessions", json={"locale": "en"})
            widget = http.get("/widget.js")
            login = http.get("/staff/login")
    finally:
        stop(server)
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"
    assert english.json()["messages"] != dutch.json()["messages"], "compiled catalogs are found"
    assert (widget.status_code, login.status_code) == (200, 200), "static files and templates"
    assert (image / "data" / "weeraan.db").exists()
    assert (image / "data" / "weeraan.key").exists(), "the key next to the database, in /data"
    assert "Traceback" not in log.read_text()

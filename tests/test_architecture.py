"""The dependency rule of DESIGN.md, checked on the source: who may import whom."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WEB_AND_DB = {"aiogram", "fastapi", "starlette", "sqlalchemy", "httpx", "aiohttp", "uvicorn"}
DRIVERS = {"alembic", "asyncpg", "aiosqlite"}
PURE_MODULES = [
    "engine", "eligibility", "validators", "state", "model", "events", "replies", "matching",
    "graph", "text", "render", "languages",
]  # fmt: skip
IO_MODULES = {"asyncio", "os", "socket", "pathlib", "subprocess", "io", "shutil", "tempfile"}

RULES = [
    ("dialogs", WEB_AND_DB | DRIVERS | {"bot", "webhook", "weeraan"}),
    ("bot", {"webhook", "sqlalchemy", "fastapi", "starlette", "weeraan"}),
    ("webhook/booking", {"aiogram", "fastapi", "starlette", "bot"}),
]


def imported_roots(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module.split(".")[0]


def python_files(folder: str) -> list[Path]:
    base = ROOT / folder
    files = sorted(base.rglob("*.py")) if base.is_dir() else []
    single = ROOT / f"{folder}.py"
    return files + ([single] if single.exists() else [])


def violations(folder: str, forbidden: set[str]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in python_files(folder)
        for line, name in imported_roots(path)
        if name in forbidden
    ]


@pytest.mark.parametrize(("folder", "forbidden"), RULES, ids=[r[0] for r in RULES])
def test_dependency_rule(folder: str, forbidden: set[str]) -> None:
    assert violations(folder, forbidden) == []


def test_dialogs_has_code_the_rule_applies_to() -> None:
    assert len(python_files("dialogs")) > 10


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_modules_do_no_io(module: str) -> None:
    path = ROOT / "dialogs" / f"{module}.py"
    bad = [name for _, name in imported_roots(path) if name in IO_MODULES]
    source = path.read_text(encoding="utf-8")
    assert bad == [], f"{module} imports {bad}"
    assert "datetime.now" not in source and "open(" not in source, "time and files come in"


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import sqlalchemy.orm\nfrom fastapi import FastAPI\nfrom . import x\n")
    assert [name for _, name in imported_roots(sample)] == ["sqlalchemy", "fastapi"]

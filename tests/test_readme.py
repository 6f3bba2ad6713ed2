"""The README shows the current flowchart and documents every setting and command."""

from __future__ import annotations

from pathlib import Path

from dialogs.loader import load_tree
from dialogs.mermaid import render_mermaid
from scripts.readme_tree import with_flowchart

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_flowchart_is_current() -> None:
    assert with_flowchart(README, render_mermaid(load_tree())) == README, "run `make readme`"


def test_readme_gives_the_two_commands() -> None:
    assert "make run" in README
    assert "make test" in README


def test_every_setting_in_env_example_is_in_the_readme() -> None:
    names = [
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
        if line.startswith("WEERAAN_")
    ]
    assert len(names) > 20
    for name in names:
        _section, _, field = name.removeprefix("WEERAAN_").partition("__")
        assert name in README or (field and f"__{field}" in README), name


def test_every_setting_is_in_env_example() -> None:
    from pydantic import BaseModel

    from webhook.settings import Settings

    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    expected = []
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for sub, sub_field in annotation.model_fields.items():
                expected.append(f"WEERAAN_{name}__{sub_field.alias or sub}".upper())
        elif name not in {"tree_dir", "locales_dir"}:
            expected.append(f"WEERAAN_{name}".upper())
    missing = [env for env in expected if f"\n{env}=" not in example]
    assert missing == []

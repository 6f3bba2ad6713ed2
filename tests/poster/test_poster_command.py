"""``weeraan poster`` as an operator runs it: options, settings, files and clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.poster.posters import NS, read_svg
from weeraan.cli import main

BOT = "WeerAanAlmereBot"
SITE = "https://weeraan.example.nl"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean folder and environment with both links configured."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEERAAN_TELEGRAM__BOT_USERNAME", BOT)
    monkeypatch.setenv("WEERAAN_PUBLIC_URL", SITE)
    monkeypatch.delenv("WEERAAN_LANGUAGES", raising=False)
    return tmp_path


def test_writes_poster_lang_svg_by_default(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["poster", "--language", "tr"]) == 0
    root = read_svg((here / "poster-tr.svg").read_text(encoding="utf-8"))
    assert root.get("lang") == "tr"
    assert root.find(".//svg:g[@id='qr-telegram']", NS) is not None
    assert "poster-tr.svg" in capsys.readouterr().err


def test_dash_writes_to_stdout(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["poster", "--output", "-"]) == 0
    root = read_svg(capsys.readouterr().out)
    assert root.get("lang") == "nl"
    assert list(here.iterdir()) == []


def test_an_existing_file_is_kept_without_force(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = here / "poster-nl.svg"
    target.write_text("hand-made", encoding="utf-8")
    assert main(["poster"]) == 2
    assert "poster-nl.svg exists: add --force" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "hand-made"
    assert main(["poster", "--force"]) == 0
    assert target.read_text(encoding="utf-8").startswith("<?xml")


def test_an_unknown_language_names_the_offered_ones(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["poster", "--language", "fr"]) == 2
    err = capsys.readouterr().err
    assert "no poster in 'fr'" in err
    assert "nl, en, uk, tr, ar, pl" in err


def test_a_language_not_offered_here_is_refused(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WEERAAN_LANGUAGES", "nl,en")
    assert main(["poster", "--language", "ar"]) == 2
    assert "the offered languages are nl, en" in capsys.readouterr().err


@pytest.mark.parametrize(
    "source", ["", "brief 2026", "brief/2026", "a" * 65, "brief?x=1", "été", "brief\n"]
)
def test_a_bad_source_is_refused_with_telegrams_rule(
    here: Path, capsys: pytest.CaptureFixture[str], source: str
) -> None:
    assert main(["poster", "--source", source]) == 2
    err = capsys.readouterr().err
    assert "--source must be 1 to 64 characters from A-Z, a-z, 0-9, _ and -" in err
    assert list(here.iterdir()) == []


@pytest.mark.parametrize("source", ["poster", "brief_2026-11", "a" * 64, "Z9"])
def test_a_good_source_is_accepted(here: Path, source: str) -> None:
    assert main(["poster", "--source", source, "--output", "p.svg"]) == 0


def test_flags_override_the_settings(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--bot-username", "@Other_bot", "--website-url", "https://www.almere.nl/weeraan"]
    assert main(["poster", "--output", "-", *args]) == 0
    svg = capsys.readouterr().out
    assert "t.me/Other_bot?start=poster" in svg
    assert "www.almere.nl/weeraan" in svg
    assert BOT not in svg


def test_without_a_bot_username_only_the_website_code_with_a_note(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("WEERAAN_TELEGRAM__BOT_USERNAME")
    assert main(["poster", "--output", "-"]) == 0
    captured = capsys.readouterr()
    root = read_svg(captured.out)
    assert root.find(".//svg:g[@id='qr-telegram']", NS) is None
    assert root.find(".//svg:g[@id='qr-website']", NS) is not None
    assert "set WEERAAN_TELEGRAM__BOT_USERNAME or --bot-username" in captured.err


def test_without_either_link_it_fails_naming_both_settings(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("WEERAAN_TELEGRAM__BOT_USERNAME")
    monkeypatch.delenv("WEERAAN_PUBLIC_URL")
    assert main(["poster"]) == 2
    err = capsys.readouterr().err
    assert "WEERAAN_TELEGRAM__BOT_USERNAME" in err
    assert "WEERAAN_PUBLIC_URL" in err
    assert list(here.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--website-url", "weeraan.example.nl"], "must start with https://"),
        (["--bot-username", "no"], "5-32 letters"),
        (["--output", "poster.pdf"], "name it .svg"),
    ],
)
def test_bad_links_and_names_are_explained(
    here: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["poster", *args]) == 2
    assert message in capsys.readouterr().err


def test_the_help_lists_the_poster_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "weeraan", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "poster" in result.stdout
    assert "QR codes" in result.stdout

"""The installed ``weeraan`` command, run as a subprocess (PRODUCT.md §3, "Command line")."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dialogs.loader import DEFAULT_TREE_DIR
from webhook.crypto import KEY_FILE, Vault, read_key_file

pytestmark = pytest.mark.slow

TIMEOUT = 60
OPTION_LINE = re.compile(r"^  \[(\d+)\] (\S.*)$")
LANGUAGES = ["Nederlands", "English", "Українська", "Türkçe", "العربية", "Polski"]


def weeraan(
    *args: str, tmp_path: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m weeraan ARGS`` with its own SQLite file, stdin piped."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEERAAN_")}
    clean["WEERAAN_DATABASE_URL"] = f"sqlite+aiosqlite:///{database(tmp_path)}"
    clean["PYTHONIOENCODING"] = "utf-8"
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "weeraan", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=clean,
        timeout=TIMEOUT,
        check=False,
    )


def database(tmp_path: Path) -> Path:
    return tmp_path / "x.db"


def conversations(path: Path) -> list[tuple[str, str, str, int]]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT channel, node, locale, ended FROM conversations"
        ).fetchall()
    finally:
        connection.close()
    return [tuple(row) for row in rows]


def option_blocks(output: str) -> list[list[str]]:
    """Every run of ``  [n] Label`` lines, as its labels; checks the numbering."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in [*output.splitlines(), ""]:
        match = OPTION_LINE.match(line)
        if match:
            assert int(match[1]) == len(current) + 1, line
            current.append(match[2])
        elif current:
            blocks.append(current)
            current = []
    return blocks


class TestChat:
    def test_piped_answers_reach_an_outcome_and_are_stored(self, tmp_path: Path) -> None:
        answers = [
            "1",  # Nederlands
            "Akkoord",  # by label
            "2",  # Nee: no gas danger
            "nee",  # by label, lower case: no medical need
            "1",  # Ik ben afgesloten
            "3",  # Stroom en gas
            "1315 AB 12",  # typed postcode
            "1",  # Vattenfall
            "1",  # Ja, ik wil meedoen
            "",  # empty lines are skipped
            "Ja",  # budgetbeheer
            "2",  # Nu niet
        ]
        result = weeraan("chat", tmp_path=tmp_path, stdin="\n".join(answers) + "\n")
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        out = result.stdout

        assert out.startswith("Welkom bij WeerAan.")
        blocks = option_blocks(out)
        assert blocks[0] == LANGUAGES
        assert ["Akkoord", "Meer lezen", "Niet akkoord"] in blocks
        assert "  [1] Vattenfall (vroeger Nuon)" in out.splitlines()
        # The outcome, with its reasons, as plain text.
        assert "Goed nieuws" in out
        assert "Dit is waarom:" in out
        assert "• U woont in Almere." in out
        assert "• U kiest voor budgetbeheer." in out
        assert blocks[-1] == ["Ja, afspraak maken", "Nu niet"]
        assert out.rstrip().endswith("Typ /wis.")  # the goodbye after "Nu niet"
        assert "Sorry, dat begrijp ik niet" not in out  # every answer was understood
        for marker in ("<b>", "**", '{"', "MessageView"):
            assert marker not in out
        # Each answer is echoed after the question it answers.
        assert "> 1315 AB 12" in out.splitlines()

        assert conversations(database(tmp_path)) == [("terminal", "goodbye", "nl", 1)]

    def test_an_intake_is_booked_in_the_terminal(self, tmp_path: Path) -> None:
        answers = [
            "1", "Akkoord", "Nee", "Nee", "Ik ben afgesloten", "Gas", "1315 AB 12", "1", "1",
            "1",  # budgetbeheer: Ja
            "1",  # afspraak maken
            "Op kantoor", "1", "1", "Fatima de Vries", "06 12345678", "Geen e-mail", "1",
        ]  # fmt: skip
        every_day = {"WEERAAN_SCHEDULE__DAYS": "mon,tue,wed,thu,fri,sat,sun",
                     "WEERAAN_SCHEDULE__HOURS": "00:00-23:59",
                     "WEERAAN_SCHEDULE__MIN_NOTICE_HOURS": "0"}  # fmt: skip
        result = weeraan("chat", tmp_path=tmp_path, stdin="\n".join(answers) + "\n", env=every_day)
        assert result.returncode == 0, result.stderr
        assert "Uw afspraak staat vast." in result.stdout
        assert re.search(r"Uw afspraaknummer: WA-[2-9A-Z]{4}", result.stdout)
        connection = sqlite3.connect(database(tmp_path))
        try:
            rows = connection.execute("SELECT channel, status, name FROM bookings").fetchall()
            events = connection.execute("SELECT COUNT(*) FROM outbox").fetchone()
        finally:
            connection.close()
        vault = Vault(read_key_file(tmp_path / KEY_FILE))  # the default: a key file, no env
        assert [(c, s, vault.open(name)) for c, s, name in rows] == [
            ("terminal", "active", "Fatima de Vries")
        ]
        assert rows[0][2] != "Fatima de Vries", "stored encrypted"
        assert events == (0,), "no notification target is configured in this test"

    def test_lang_is_accepted_and_junk_is_asked_again(self, tmp_path: Path) -> None:
        junk = ["xyzzy", "999", "0", "!!!"]
        result = weeraan("chat", "--lang", "en", tmp_path=tmp_path, stdin="\n".join(junk) + "\n")
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        # The language question, then asked again after each junk answer.
        assert option_blocks(result.stdout) == [LANGUAGES] * (1 + len(junk))
        for line in junk:
            assert f"> {line}" in result.stdout.splitlines()
        assert conversations(database(tmp_path)) == [("terminal", "choose_language", "en", 0)]

    def test_invalid_settings_exit_2_with_a_clear_message(self, tmp_path: Path) -> None:
        result = weeraan("chat", tmp_path=tmp_path, stdin="1\n", env={"WEERAAN_LANGUAGES": "nl,xx"})
        assert result.returncode == 2
        assert "invalid settings" in result.stderr
        assert "languages" in result.stderr
        assert "xx" in result.stderr
        assert "Traceback" not in result.stderr
        assert result.stdout == ""
        assert not database(tmp_path).exists()


class TestTree:
    def test_check_passes_on_the_built_in_tree(self, tmp_path: Path) -> None:
        result = weeraan("tree", "check", tmp_path=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "OK" in result.stdout

    def test_check_names_the_file_and_node_of_a_broken_target(self, tmp_path: Path) -> None:
        broken = tmp_path / "tree"
        shutil.copytree(DEFAULT_TREE_DIR, broken)
        start = broken / "10_start.yaml"
        text = start.read_text(encoding="utf-8")
        assert text.count("next: safety_medical}") == 1
        start.write_text(text.replace("next: safety_medical}", "next: no_such_node}"), "utf-8")

        result = weeraan("tree", "check", "--dir", str(broken), tmp_path=tmp_path)
        assert result.returncode == 1
        assert "10_start.yaml" in result.stderr
        assert "safety_gas" in result.stderr
        assert "no_such_node" in result.stderr
        assert "Traceback" not in result.stderr
        assert "OK" not in result.stdout

    def test_render_prints_a_mermaid_flowchart(self, tmp_path: Path) -> None:
        result = weeraan("tree", "render", tmp_path=tmp_path)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0].strip() == "flowchart TD"
        assert any("-->" in line for line in lines)
        for node in ("welcome", "safety_gas", "location", "eligible", "goodbye"):
            assert node in result.stdout


def test_db_upgrade_creates_the_tables(tmp_path: Path) -> None:
    fresh = tmp_path / "new" / "fresh.db"
    result = weeraan(
        "db",
        "upgrade",
        tmp_path=tmp_path,
        env={"WEERAAN_DATABASE_URL": f"sqlite+aiosqlite:///{fresh}"},
    )
    assert result.returncode == 0, result.stderr
    assert "revision" in result.stdout
    connection = sqlite3.connect(fresh)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    finally:
        connection.close()
    assert {"conversations", "widget_sessions", "callback_requests"} <= tables
    assert len(revision) == 1
    assert revision[0][0] in result.stdout

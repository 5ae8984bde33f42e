"""Untrusted text never reaches a terminal live (issue 10, item 5): escapes shown, markup not parsed."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sounding import Sounding
from sounding.cli import app
from sounding.records import CommentRecord, PostRecord
from sounding.terminal import cell, safe, visible

SRC = Path(__file__).resolve().parent.parent / "src"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
OSC8 = "\x1b]8;;file:///etc/passwd\x1b\\click me\x1b]8;;\x1b\\"
LINK_PLATFORM = "[link=file:///etc/passwd]x[/]"
CLOSE_PLATFORM = "[/]"
HOSTILE = [
    f"Please add a dark mode {TITLE}",
    f"A dark mode would be amazing {CLEAR}",
    f"dark theme please!! {OSC8}",
    "When is dark mode coming? [bold red]urgent[/]",
    "Any plans for a dark mode option?",
    "I would love a night mode / dark theme",
    "Dark mode pls, reading in bed is painful",
    "+1 for dark mode",
    "How do I export my data? \x1b[31mred\x1b[0m",
    "The app crashes every time I open the settings page",
    "Shipping took three weeks, that is way too slow",
    "Is there a student discount?",
]


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> str:
    db = str(tmp_path_factory.mktemp("hostile") / "s.db")
    api = Sounding(db)
    records: list = []
    for platform in (LINK_PLATFORM, CLOSE_PLATFORM):
        post = f"post{CLEAR}1"
        records.append(PostRecord(platform, post, "brand", f"What next? {TITLE}", T0, ours=True, likes=2))
        for i, text in enumerate(HOSTILE):
            records.append(
                CommentRecord(platform, f"c{i}\x1b[1m", post, f"person{i}\x07", text, T0 + timedelta(hours=i))
            )
    api.store.write_records(records)
    api.analyze()
    api.close()
    return db


COMMANDS = [["status"], ["questions"], ["comments"], ["lessons"], ["themes"], ["learning"]]


def _check(stdout: str, command: list[str]) -> None:
    assert "\x1b" not in stdout and "\x07" not in stdout
    flat = "".join(stdout.split())
    assert ("[link=file:///etc/passwd]" if command == ["status"] else "\\x1b") in flat, stdout


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_commands_show_hostile_text_escaped_through_cli_runner(hostile_db, command, monkeypatch):
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    result = CliRunner().invoke(app, ["--db", hostile_db, *command])
    assert result.exit_code == 0, result.output
    _check(result.stdout, command)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_commands_show_hostile_text_escaped_in_a_real_process(hostile_db, command):
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env.update(PYTHONPATH=str(SRC), COLUMNS="250")
    out = subprocess.run(
        [sys.executable, "-m", "sounding.cli", "--db", hostile_db, *command],
        capture_output=True, env=env, timeout=180,
    )
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    stdout = out.stdout.decode()
    _check(stdout, command)
    assert b"\x1b" not in out.stderr
    assert "Traceback" not in out.stderr.decode()


def test_status_shows_markup_platform_names_literally(hostile_db, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    result = CliRunner().invoke(app, ["--db", hostile_db, "status"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(LINK_PLATFORM in line for line in lines)
    assert any(line.split("│")[1].strip() == CLOSE_PLATFORM for line in lines if line.count("│") > 2)


def test_questions_show_platform_and_escapes_literally(hostile_db, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    result = CliRunner().invoke(app, ["--db", hostile_db, "questions", "-n", "0"])
    assert result.exit_code == 0, result.output
    assert LINK_PLATFORM in result.stdout and f" {CLOSE_PLATFORM} " in result.stdout
    assert "[bold red]urgent[/]" in result.stdout  # markup in a comment stays text
    assert "\\x1b[31mred\\x1b[0m" in result.stdout


def test_safe_and_visible_and_cell():
    assert visible(TITLE) == "\\x1b]0;pwned\\x07"
    assert visible("a\r\nb", newlines=False) == "a\\x0d b"
    assert safe(LINK_PLATFORM) == "\\[link=file:///etc/passwd]x\\[/]"
    assert cell(CLOSE_PLATFORM).plain == "[/]" and not cell(CLOSE_PLATFORM).spans
    assert visible("\u202eevil") == "\\u202eevil"


def test_accounts_show_hostile_platform_handle_and_service_literally(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    db = str(tmp_path / "a.db")
    api = Sounding(db)
    api.store.upsert_account(CLOSE_PLATFORM, f"brand{TITLE}", service_url=f"https://x{CLEAR}/[bold]")
    api.store.upsert_account(LINK_PLATFORM, "[/]")
    api.close()
    result = CliRunner().invoke(app, ["--db", db, "accounts"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "brand\\x1b]0;pwned\\x07" in result.stdout and "https://x\\x1b[2J/[bold]" in result.stdout
    assert LINK_PLATFORM in result.stdout


def test_emoji_joiners_stay_and_bidi_overrides_do_not():
    facepalm = "\U0001f926\U0001f3fc\u200d\u2640\ufe0f"
    assert visible(facepalm) == facepalm
    assert visible("a\u200bb\u200fc\u2066d") == "a\\u200bb\\u200fc\\u2066d"

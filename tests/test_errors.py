"""The CLI's one error boundary: one line and a documented exit code, never a traceback (issue 10, item 8)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sounding.cli import BoundaryGroup, app
from sounding.errors import EXIT_CODES, INTERNAL_EXIT_CODE, NotReadyError, StoreError, UsageError

SRC = Path(__file__).resolve().parent.parent / "src"


def cli(*args: str, home: Path, input: str | None = None) -> subprocess.CompletedProcess:
    """The real command in a fresh process, output through pipes (no terminal)."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "SOUNDING_HOME": str(home), "NO_COLOR": "1"}
    env.pop("SOUNDING_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "sounding.cli", *args], capture_output=True, text=True, env=env, input=input,
        timeout=120,
    )


def one_line(out: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


def test_a_file_that_is_not_a_database(tmp_path):
    out = cli("--db", "/etc/passwd", "status", home=tmp_path)
    assert out.returncode == StoreError.exit_code == 6
    assert one_line(out) == "error: /etc/passwd is not a Sounding database (not a SQLite file)"
    assert not Path("/etc/passwd.lock").exists()


def test_a_sqlite_file_of_another_program_is_not_filled_with_our_tables(tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("create table notes(x)")
    out = cli("--db", str(other), "status", home=tmp_path)
    assert out.returncode == 6
    assert one_line(out) == f"error: {other} is not a Sounding database (it holds other tables)"
    with sqlite3.connect(other) as conn:
        assert [r[0] for r in conn.execute("select name from sqlite_master")] == ["notes"]


def test_an_empty_db_option_is_a_usage_error_not_the_home_default(tmp_path):
    out = cli("--db", "", "status", home=tmp_path)
    assert out.returncode == UsageError.exit_code == 2
    assert one_line(out).startswith("error: --db is empty")
    assert not (tmp_path / "sounding.db").exists()


@pytest.mark.parametrize("db", ["/dev/null", "/proc/nowhere/x.db"])
def test_devices_and_impossible_folders(tmp_path, db):
    out = cli("--db", db, "status", home=tmp_path)
    assert out.returncode == 6
    assert one_line(out).startswith("error: ")


def test_an_unknown_database_url_scheme(tmp_path):
    out = cli("--db", "nosuch://host/db", "status", home=tmp_path)
    assert out.returncode == 2
    assert one_line(out) == "error: cannot use the database URL 'nosuch://host/db': NoSuchModuleError"


def test_an_unreachable_server_hides_its_password(tmp_path):
    out = cli("--db", "postgresql+psycopg://me:hunter2-secret@127.0.0.1:1/x", "status", home=tmp_path)
    assert out.returncode == 6
    line = one_line(out)
    assert line.startswith("error: cannot open postgresql+psycopg://me:***@127.0.0.1:1/x")
    assert "hunter2" not in out.stdout + out.stderr


@pytest.mark.parametrize("command", ["themes", "lessons", "comments", "learning"])
def test_analysis_views_on_a_fresh_store_say_what_to_run(tmp_path, command):
    out = cli("--db", str(tmp_path / "fresh.db"), command, home=tmp_path)
    assert out.returncode == NotReadyError.exit_code == 5
    assert one_line(out) == "error: nothing analysed yet: run `sounding analyze` (or Sounding.analyze()) first"


def test_click_usage_errors_keep_exit_code_2(tmp_path):
    out = cli("statuss", home=tmp_path)
    assert out.returncode == 2
    assert "No such command" in out.stderr and "Traceback" not in out.stderr


def _boom_app() -> typer.Typer:
    boom = typer.Typer(cls=BoundaryGroup)

    @boom.command()
    def explode() -> None:
        raise KeyError("password=hunter2")

    @boom.command()
    def refuse() -> None:
        raise NotReadyError("not yet \x1b[2J")

    return boom


def test_an_unexpected_exception_is_one_line_and_its_traceback_goes_to_the_log(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDING_HOME", str(tmp_path))
    result = CliRunner().invoke(_boom_app(), ["explode"])
    assert result.exit_code == INTERNAL_EXIT_CODE
    log = tmp_path / "errors.log"
    assert result.output.strip() == f"internal error: KeyError; details in {log}"
    text = log.read_text()
    assert "Traceback" in text and "KeyError" in text and "explode" in text


def test_an_error_message_shows_control_characters_visibly():
    result = CliRunner().invoke(_boom_app(), ["refuse"])
    assert result.exit_code == 5
    assert result.output.strip() == "error: not yet \\x1b[2J"
    assert "\x1b" not in result.output


def test_an_exception_in_a_plugin_command_does_not_print_a_traceback(tmp_path, monkeypatch):
    """The real app: a command added at runtime that fails is caught by the same boundary."""
    monkeypatch.setenv("SOUNDING_HOME", str(tmp_path))

    @app.command("zz-test-explode", hidden=True)
    def explode() -> None:
        raise ZeroDivisionError("boom")

    try:
        result = CliRunner().invoke(app, ["zz-test-explode"])
    finally:
        app.registered_commands.pop()
    assert result.exit_code == INTERNAL_EXIT_CODE
    assert "Traceback" not in result.output and "internal error: ZeroDivisionError" in result.output


def test_exit_codes_are_distinct_per_kind():
    codes = {kind: code for kind, code in EXIT_CODES.items() if kind != "error"}
    assert len(set(codes.values())) == len(codes)
    assert codes["usage"] == 2 and codes["internal"] == 70


@pytest.mark.parametrize(
    "args",
    [
        ["questions", "-n", str(2**64)],
        ["comments", "--limit", str(-(2**70))],
        ["ask", "results", str(2**63)],
        ["sync", "--max-posts", "9" * 40],
    ],
    ids=lambda a: a[0],
)
def test_integers_too_large_for_the_store_are_a_usage_error(tmp_path, args):
    out = cli("--db", str(tmp_path / "s.db"), *args, home=tmp_path)
    assert out.returncode == 2, out.stderr
    line = one_line(out)
    assert line.startswith("error: ") and line.endswith("is too large (at most 9223372036854775807)")


def test_a_locked_store_is_a_store_error_without_the_statement(tmp_path):
    """Another process holds a write lock longer than the busy timeout allows (readers still read: WAL)."""
    db = tmp_path / "s.db"
    from sounding.store import Store

    Store.open(str(db)).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        env_code = (
            "import sounding.store.engine as e, sys; "
            "orig = e._sqlite_pragmas; "
            "e._sqlite_pragmas = lambda c, r: (orig(c, r), c.execute('PRAGMA busy_timeout=100')); "
            "from sounding.cli import main; sys.argv[0] = 'sounding'; main()"
        )
        env = {**os.environ, "PYTHONPATH": str(SRC), "SOUNDING_HOME": str(tmp_path),
               "SOUNDING_SECRETS_BACKEND": "file", "SOUNDING_CONFIG_DIR": str(tmp_path / "cfg")}
        args = ["--db", str(db), "connect", "mastodon", "--instance", "http://127.0.0.1:9", "--no-verify",
                "--handle", "brand", "--token-stdin"]
        out = subprocess.run(
            [sys.executable, "-c", env_code, *args],
            capture_output=True, text=True, env=env, timeout=120, input="tok-12345\n",
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert out.returncode == StoreError.exit_code, out.stderr
    assert one_line(out) == "error: the store is busy (locked by another process); try again in a moment"

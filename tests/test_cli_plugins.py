"""Plugins (pluggy, entry-point group ``sounding``): they add commands, importers and connectors like
the built-ins do, and a broken one costs one warning line, never the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sounding import plugins

SRC = Path(__file__).resolve().parent.parent / "src"

MODULES = {
    "good_plugin.py": '''
        import typer
        from sounding import hookspecs

        @hookspecs.hookimpl
        def register_commands(app):
            @app.command("hello")
            def hello():
                """Say hello from a plugin."""
                typer.echo("hello from a plugin")

        @hookspecs.hookimpl
        def register_connectors():
            return {"smoke": "good_plugin:SmokeConnector"}
        ''',
    "broken_plugin.py": '''
        raise ImportError("needs the package nosuchthing")
        ''',
    "failing_hook.py": '''
        from sounding import hookspecs

        @hookspecs.hookimpl
        def register_commands(app):
            raise RuntimeError("this plugin is buggy")
        ''',
    "old_style.py": '''
        import typer

        def register(app):
            @app.command("legacy")
            def legacy():
                typer.echo("legacy group still works")
        ''',
}
ENTRY_POINTS = """
[sounding]
good = good_plugin
broken = broken_plugin
failing = failing_hook

[sounding.commands]
old = old_style:register
"""


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("plugins")
    for name, code in MODULES.items():
        (root / name).write_text(textwrap.dedent(code))
    info = root / "sounding_test_plugins-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sounding-test-plugins\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return root


def run(plugin_path: Path, *args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{plugin_path}{os.pathsep}{SRC}", "SOUNDING_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "sounding.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_a_plugin_adds_a_command_and_broken_plugins_cost_one_warning_each(plugin_path, tmp_path):
    out = run(plugin_path, "hello", home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "hello from a plugin\n"
    warnings = out.stderr.strip().splitlines()
    assert len(warnings) == 2, out.stderr
    assert warnings[0].startswith("warning: plugin 'broken' could not be loaded (ImportError: needs the package")
    assert warnings[1].startswith("warning: plugin 'failing' failed in register_commands (RuntimeError")
    assert "Traceback" not in out.stderr


def test_the_built_in_commands_still_work_beside_broken_plugins(plugin_path, tmp_path):
    out = run(plugin_path, "--db", str(tmp_path / "s.db"), "status", "--json", home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert '"posts": 0' in out.stdout


def test_the_old_entry_point_groups_still_work(plugin_path, tmp_path):
    out = run(plugin_path, "legacy", home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "legacy group still works\n"


def test_a_plugin_connector_is_listed_beside_the_built_ins(plugin_path, tmp_path):
    code = "from sounding.connectors import available; print(','.join(available()))"
    env = {**os.environ, "PYTHONPATH": f"{plugin_path}{os.pathsep}{SRC}", "SOUNDING_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.stdout.strip() == "bluesky,facebook,instagram,mastodon,reddit,smoke,x,youtube"


def test_built_ins_are_registered_as_plugins():
    names = {name for name, _ in plugins.manager().list_name_plugin()}
    assert set(plugins.BUILTIN_PLUGINS) <= names
    formats = [fmt.name for fmt in plugins.importers()]
    assert formats[:12] == ["mastodon-outbox", "reddit-export", "x-archive", "tiktok-archive", "instagram-archive",
                            "threads-archive", "facebook-archive", "linkedin-archive", "youtube-takeout", "sheet",
                            "jsonl", "csv"]
    assert {"bluesky", "mastodon", "reddit", "youtube"} <= set(plugins.connectors())

"""docs/cli.md is generated from every command's --help; it must match the CLI as it is."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "cli_docs.py"


@pytest.fixture(scope="module")
def cli_docs():
    spec = importlib.util.spec_from_file_location("cli_docs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rendered(cli_docs) -> str:
    return cli_docs.render()


def _sections(text: str) -> dict[str, str]:
    found = re.findall(r"^## `([^`]+)`\n\n```\n(.*?)\n```$", text, flags=re.S | re.M)
    return dict(found)


def test_cli_reference_is_up_to_date(cli_docs, rendered):
    assert cli_docs.DOC.read_text() == rendered, "run: python scripts/cli_docs.py"


def test_every_command_and_subcommand_has_its_own_section(cli_docs, rendered):
    sections = _sections(rendered)
    paths = [" ".join(path) for path, _ in cli_docs.commands()]
    assert len(paths) > 20 and {"sounding import", "sounding connect", "sounding test analyze"} <= set(paths)
    assert list(sections) == paths
    for path, body in sections.items():
        assert f"Usage: {path} " in body, path


def _flat(text: str) -> str:
    return re.sub(r"[\s│╭╮╰╯─]+", " ", text).strip()


def test_help_is_rendered_at_100_columns_without_truncation(cli_docs, rendered):
    sections = _sections(rendered)
    for path, command in cli_docs.commands():
        body = sections[" ".join(path)]
        assert max(len(line) for line in body.splitlines()) <= 100
        assert "…\n" not in body.replace("(UC…)", "")
        summary = (command.help or "").strip().split("\n\n")[0]
        assert _flat(summary) in _flat(body), path
        for param in command.params:
            if getattr(param, "help", None) and not getattr(param, "hidden", False):
                assert _flat(param.help) in _flat(body), (path, param.name)


def test_exit_codes_are_documented(rendered):
    for code in (2, 3, 4, 5, 6, 7, 8, 70):
        assert f"\n| {code} | " in rendered

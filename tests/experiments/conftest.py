"""Shared helpers for the experiments tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from sounding.commands.experiments import register

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def cli():
    """Invoke `sounding test ...` through a tiny local app (the real cli.py calls the same register)."""
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """Local root so `test` stays a sub-command."""

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


@pytest.fixture
def roundtrip():
    """JSON encode/decode with NaN and infinity forbidden, so any non-finite number fails loudly."""

    def check(obj: Any) -> Any:
        return json.loads(json.dumps(obj, allow_nan=False))

    return check

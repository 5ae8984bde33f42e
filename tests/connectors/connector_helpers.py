"""Helpers the connector tests import by name (a conftest cannot be imported reliably: other folders have one)."""

from __future__ import annotations
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def masto(url: str, token: str) -> Any:
    from mastodon import Mastodon

    return Mastodon(access_token=token, api_base_url=url, version_check_mode="none")


def run_cli(
    args: list[str], *, env: dict[str, str], input: str = "", timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run the real ``sounding`` CLI in a subprocess (src layout, no install needed)."""
    full_env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), COLUMNS="200", **env)
    return subprocess.run(  # noqa: PLW1510 - callers check returncode
        [sys.executable, "-c", "from sounding.cli import app; app()", *args],
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )

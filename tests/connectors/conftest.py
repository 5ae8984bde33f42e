"""Fixtures shared by the connector tests: a fresh SQLite store, a mastodon-mock server, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets go to a per-test folder, never the developer's keyring or config."""
    monkeypatch.setenv("SOUNDING_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SOUNDING_SECRETS_BACKEND", "file")


@pytest.fixture
def mastodon_server() -> Iterator[Any]:
    """mastodon-mock (FastAPI fake of the Mastodon REST API) on 127.0.0.1, seeded alice/bob/carol."""
    from mastodon_mock.testing import MockServer

    with MockServer(host="127.0.0.1") as server:
        yield server


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

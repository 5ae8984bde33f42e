"""Fixtures shared by the connector tests: a fresh SQLite store, a mastodon-mock server, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector_helpers import ROOT, masto, run_cli  # noqa: F401 - re-exported for older imports
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



"""Where things live by default, and the environment variables that override it."""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_ENV = "SOUNDING_DATABASE_URL"


def data_dir() -> Path:
    """Per-user data folder: ``$SOUNDING_HOME`` or ``$XDG_DATA_HOME/sounding`` (``~/.local/share/sounding``)."""
    if home := os.environ.get("SOUNDING_HOME"):
        return Path(home)
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "sounding"


def default_database_url() -> str:
    """``$SOUNDING_DATABASE_URL`` if set, else a SQLite file ``sounding.db`` in :func:`data_dir`."""
    return os.environ.get(DATABASE_ENV) or f"sqlite:///{data_dir() / 'sounding.db'}"


def database_url(db: str | None) -> str:
    """Accept a URL (``postgresql+psycopg://…``, ``sqlite:///…``) or a plain SQLite file path."""
    if not db:
        return default_database_url()
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"

"""The demo: the bundled sample community in a SQLite file of its own."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from sounding.config import data_dir

SAMPLE = "data/sample/twacs_airlines.jsonl.gz"
TITLE = "Sounding demo: 3,000 airline customer-support threads (TwACS, CC BY-NC-SA 4.0)"


def sample_path() -> Path:
    return Path(str(files("sounding").joinpath(SAMPLE)))


def demo_database(db: str | None, fresh: bool = True) -> str:
    """``db`` if given, else ``demo.db`` in the data folder (emptied first when ``fresh``)."""
    if db is not None:
        return db
    path = data_dir() / "demo.db"
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return str(path)

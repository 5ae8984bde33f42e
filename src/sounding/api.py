"""The Python API: one object over one store, returning plain dicts and pandas DataFrames.

The CLI is a thin layer over this class, so anything the CLI shows can be scripted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sounding.analysis import threads
from sounding.importers import ImportReport, import_file
from sounding.store import Store


class Sounding:
    """``Sounding()`` opens the default SQLite store; ``Sounding("postgresql+psycopg://…")`` a team one."""

    def __init__(self, db: str | None = None, store: Store | None = None) -> None:
        self.store = store or Store.open(db)

    def close(self) -> None:
        self.store.close()

    def import_file(
        self,
        path: str | Path,
        format: str | None = None,
        rejects: str | Path | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        return import_file(self.store, Path(path), format, Path(rejects) if rejects else None, on_progress)

    def status(self) -> dict:
        return self.store.counts()

    def most_discussed(self, limit: int = 10) -> pd.DataFrame:
        return threads.most_discussed(self.store, limit)

    def unanswered_questions(self, limit: int | None = None) -> pd.DataFrame:
        return threads.unanswered_questions(self.store, limit=limit)

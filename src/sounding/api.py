"""The Python API: one object over one store, returning plain dicts and pandas DataFrames.

The CLI is a thin layer over this class, so anything the CLI shows can be scripted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pandas as pd

from sounding.analysis import threads, views
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

    def unanswered_questions(
        self,
        limit: int | None = None,
        platform: str | list[str] | None = None,
        older_than: timedelta | None = None,
        newer_than: timedelta | None = None,
    ) -> pd.DataFrame:
        """The questions inbox: genuine questions to us that no reply of ours answers (see analysis.threads)."""
        platforms = [platform] if isinstance(platform, str) else platform
        return threads.unanswered_questions(self.store, views.current_version(self.store), limit=limit,
                                            platforms=platforms, older_than=older_than, newer_than=newer_than)

    # -- analysis ------------------------------------------------------------------------------
    @property
    def analysed(self) -> bool:
        return views.current_version(self.store) is not None

    def pending_analysis(self, mode: str = "quality") -> int:
        """Audience texts not analysed yet with ``mode``'s models (for progress bars)."""
        from sounding.analysis import pipeline, reader

        version = pipeline.default_steps(mode).version
        return reader.count_pending(self.store, version)

    def analyze(
        self,
        mode: str = "quality",
        steps=None,
        on_progress: Callable[[str, int], None] | None = None,
    ):
        """Enrich new texts, update themes and lessons; returns an ``AnalyzeReport``."""
        from sounding.analysis import pipeline

        steps = steps or pipeline.default_steps(mode)
        report = pipeline.analyze(self.store, steps, on_progress)
        views.set_current_version(self.store, steps.version)
        return report

    def _version(self) -> str:
        version = views.current_version(self.store)
        if version is None:
            raise RuntimeError("nothing analysed yet: run `sounding analyze` (or Sounding.analyze()) first")
        return version

    def comments(self, limit: int | None = None) -> pd.DataFrame:
        return views.comments(self.store, self._version(), limit)

    def themes(self) -> pd.DataFrame:
        return views.themes(self.store, self._version())

    def lessons(self, quotes: bool = True) -> pd.DataFrame:
        """Ranked lessons; with ``quotes`` each carries its theme's representative quotes."""
        frame = views.lessons(self.store)
        frame.insert(0, "rank", range(1, len(frame) + 1))
        evidence = pd.json_normalize(frame["evidence"].tolist()) if len(frame) else pd.DataFrame()
        for column in ("people", "comments", "dominant_intent", "trend", "intents"):
            if column in evidence:
                frame[column] = evidence[column].values
        if quotes:
            by_theme = self.themes().set_index("theme")["quotes"].to_dict() if len(frame) else {}
            frame["quotes"] = [by_theme.get(theme, []) for theme in frame["theme"]]
        return frame.drop(columns=["id", "evidence"])

    def learning_value(self, by: str = "post", limit: int | None = None) -> pd.DataFrame:
        if by == "week":
            return views.learning_value_by_week(self.store, self._version())
        return views.learning_value_by_post(self.store, self._version(), limit)

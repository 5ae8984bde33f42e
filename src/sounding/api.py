"""The Python API: one object over one store, returning plain dicts and pandas DataFrames.

The CLI is a thin layer over this class, so anything the CLI shows can be scripted. The analysis
views (and pandas with them) load with the first call that returns a frame: ``import sounding``
and commands such as ``import`` start without them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from typing import TYPE_CHECKING

from sounding.analysis.version import current_version, set_current_version
from sounding.errors import NotReadyError, UsageError
from sounding.importers import ImportReport, import_file, import_files
from sounding.importers.base import Format
from sounding.store import Store

if TYPE_CHECKING:
    import pandas as pd


class Sounding:
    """``Sounding()`` opens the default SQLite store; ``Sounding("postgresql+psycopg://…")`` a team one."""

    def __init__(self, db: str | None = None, store: Store | None = None) -> None:
        self.store = store or Store.open(db)

    def close(self) -> None:
        self.store.close()

    def import_file(
        self,
        path: str | Path,
        format: str | Format | None = None,
        rejects: str | Path | None = None,
        on_progress: Callable[[int], None] | None = None,
        force: bool = False,
    ) -> ImportReport:
        return import_file(self.store, Path(path), format, Path(rejects) if rejects else None, on_progress, force=force)

    def import_files(
        self,
        paths: list[str | Path],
        format: str | Format | None = None,
        rejects: str | Path | None = None,
        force: bool = False,
        on_progress: Callable[[Path, int], None] | None = None,
        on_report: Callable[[ImportReport], None] | None = None,
    ) -> list[ImportReport]:
        """Import files in order into one rejects file (or one beside each); all checks come first."""
        return import_files(self.store, [Path(p) for p in paths], format, Path(rejects) if rejects else None,
                            force=force, on_progress=on_progress, on_report=on_report)

    def status(self) -> dict:
        return self.store.counts()

    def import_sample(self, on_progress: Callable[[int], None] | None = None) -> ImportReport:
        """Import the bundled sample community (what ``sounding demo`` shows)."""
        from sounding.core.demo import sample_path

        return self.import_file(sample_path(), on_progress=on_progress)

    # -- accounts and platforms (see sounding.core.accounts) -------------------------------------
    def connect(
        self,
        platform: str,
        *,
        handle: str | None = None,
        service: str | None = None,
        credentials: dict[str, str] | str | None = None,
        verify: bool = True,
    ) -> dict:
        """Connect an account; the secret goes to the keyring or a 0600 file, never the store."""
        from sounding.core import accounts

        return accounts.connect(
            self.store, platform, handle=handle, service=service, credentials=credentials, verify=verify
        )

    def accounts(self) -> list[dict]:
        """Connected accounts, secrets masked."""
        from sounding.core import accounts

        return accounts.describe(self.store.list_accounts())

    def sync(self, accounts: list[str] | None = None, **options) -> list:
        """Fetch new posts, replies, reactions and votes; ``options`` as :func:`sounding.connectors.sync.sync_all`."""
        from sounding.core import accounts as core_accounts

        return core_accounts.sync(self.store, accounts, **options)

    def publish(self, account: str, text: str, **kwargs) -> list[str]:
        """Publish a post, poll (``options=[…]``) or reply (``reply_to=``); returns the platform ids."""
        from sounding.core import accounts

        return accounts.publish(self.store, account, text, **kwargs)

    def most_discussed(self, limit: int = 10) -> pd.DataFrame:
        from sounding.analysis import threads

        return threads.most_discussed(self.store, limit)

    def unanswered_questions(
        self,
        limit: int | None = None,
        platform: str | list[str] | None = None,
        older_than: timedelta | None = None,
        newer_than: timedelta | None = None,
    ) -> pd.DataFrame:
        """The questions inbox: genuine questions to us that no reply of ours answers (see analysis.threads)."""
        from sounding.analysis import threads

        platforms = [platform] if isinstance(platform, str) else platform
        return threads.unanswered_questions(self.store, current_version(self.store), limit=limit,
                                            platforms=platforms, older_than=older_than, newer_than=newer_than)

    # -- analysis ------------------------------------------------------------------------------
    @property
    def analysed(self) -> bool:
        return current_version(self.store) is not None

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
        engine: str = "local",
        address: str | None = None,
    ):
        """Enrich new texts, update themes and lessons; returns an ``AnalyzeReport``.

        ``engine="ray"`` runs the models on a Ray cluster (``address``: ``auto``, ``ray://host:port``,
        or None for a local one; needs the ``ray`` extra); the results are the local engine's.
        """
        from sounding.analysis import pipeline

        if engine not in ("local", "ray"):
            raise UsageError(f"engine must be 'local' or 'ray', not {engine!r}")
        if address is not None and engine != "ray":
            raise UsageError("--address needs --engine ray")
        enricher = None
        if engine == "ray":
            from sounding.analysis import ray_engine

            enricher = ray_engine.enricher(address)
        steps = steps or pipeline.default_steps(mode)
        report = pipeline.analyze(self.store, steps, on_progress, enricher=enricher)
        set_current_version(self.store, steps.version)
        return report

    def _version(self) -> str:
        version = current_version(self.store)
        if version is None:
            raise NotReadyError("nothing analysed yet: run `sounding analyze` (or Sounding.analyze()) first")
        return version

    def comments(
        self,
        theme: str | None = None,
        lesson: int | str | None = None,
        intent: str | list[str] | None = None,
        sentiment: str | list[str] | None = None,
        post: str | int | None = None,
        platform: str | list[str] | None = None,
        since=None,
        until=None,
        search: str | None = None,
        limit: int | None = None,
        after: str | None = None,
        newest: bool = False,
    ) -> pd.DataFrame:
        """Audience comments, oldest (or ``newest``) first, narrowed by every filter given (see
        ``views.comments``); ``frame.attrs["next"]`` is the cursor to pass as ``after`` for the next
        page (None: last page)."""
        from sounding.analysis import views

        return views.comments(
            self.store, self._version(), theme=theme, lesson=lesson, intent=intent, sentiment=sentiment, post=post,
            platform=platform, since=since, until=until, search=search, limit=limit, after=after, newest=newest,
        )

    def themes(self) -> pd.DataFrame:
        from sounding.analysis import views

        return views.themes(self.store, self._version())

    def lessons(self, quotes: bool = True, by: str | None = None, per_segment: int | None = None,
                segments: int | None = None) -> pd.DataFrame:
        """Ranked lessons; with ``quotes`` each carries its theme's representative quotes.

        ``by`` ("platform", "returning" or "post") ranks the lessons within each segment instead
        (see :mod:`sounding.analysis.segments`)."""
        if by is not None:
            from sounding.analysis import segments as segment_views

            return segment_views.lessons_by(self.store, self._version(), by, per_segment, segments)
        import pandas as pd

        from sounding.analysis import views

        self._version()
        frame = views.lessons(self.store)
        if frame.empty:  # say why, in the user's terms
            from sounding.analysis.lessons import why_no_lessons

            frame.attrs["why_empty"] = why_no_lessons(self.store, current_version(self.store))
        frame.insert(0, "rank", range(1, len(frame) + 1))
        evidence = pd.json_normalize(frame["evidence"].tolist()) if len(frame) else pd.DataFrame()
        for column in ("people", "comments", "dominant_intent", "trend", "intents"):
            if column in evidence:
                frame[column] = evidence[column].values
        if quotes:
            by_theme = views.theme_quotes(self.store) if len(frame) else {}
            frame["quotes"] = [by_theme.get(theme_id, []) for theme_id in frame["theme_id"]]
        return frame.drop(columns=["evidence", "theme_id"]).rename(columns={"id": "lesson"})

    def theme_series(self) -> list[dict]:
        """Audience comments per day (or week) per theme, zeros included (see :mod:`sounding.analysis.theme_series`)."""
        from sounding.analysis.theme_series import theme_series

        return theme_series(self.store, self._version()) if self.analysed else []

    def learning_value(self, by: str = "post", limit: int | None = None) -> pd.DataFrame:
        """What each post (or week) taught us; order-independent (see :mod:`sounding.analysis.learning`)."""
        from sounding.analysis import learning

        if by == "week":
            return learning.by_week(self.store, self._version())
        if by != "post":
            from sounding.errors import UsageError

            raise UsageError(f"cannot rank learning value by {by!r}", hint="post or week")
        return learning.by_post(self.store, self._version(), limit)

    def find_post(self, ref: str | int):
        """The post a reference names: store id, ``platform:platform_id`` or URL (``views.find_post``)."""
        from sounding.analysis import views

        return views.find_post(self.store, ref)

    def tally(self, posts, options: list[str] | None = None, **mapping):
        """Count the votes in the replies to one or more posts (see :mod:`sounding.analysis.tally`)."""
        from sounding.analysis import tally

        refs = [posts] if isinstance(posts, (str, int)) else list(posts)
        return tally.tally(self.store, [self.find_post(ref) for ref in refs], options, **mapping)

    # -- experiments, polls, questions ---------------------------------------------------------
    @property
    def experiments(self):
        """``sounding test|poll|ask`` as methods (an ``Experiments`` from sounding.experiments.service)."""
        from sounding.experiments.service import Experiments

        return Experiments(self.store)

    # -- act and tell: decisions, "you asked, we did", before/after, erasure ----------------------
    @property
    def act(self):
        """Decisions and closing the loop (an ``Act`` from sounding.act.service)."""
        from sounding.act.service import Act

        return Act(self.store)

    @property
    def tokens(self):
        """Bearer tokens of the REST API: create, list, revoke (see :mod:`sounding.core.tokens`)."""
        from sounding.core.tokens import Tokens

        return Tokens(self.store)

    # -- browsing, inbox and dashboard (the REST API and pages call these) ----------------------
    def comment_page(self, query=None):
        """Comments with enrichment, filtered and keyset-paginated (see :mod:`sounding.browse`)."""
        from sounding import browse

        return browse.comments(self.store, current_version(self.store), query or browse.Query())

    def post_page(self, query=None):
        from sounding import browse

        return browse.posts(self.store, query or browse.Query())

    def thread(self, post_id: str, platform: str | None = None) -> dict:
        """One conversation as a tree, each comment with intent and sentiment."""
        from sounding.analysis import thread_tree

        return thread_tree.thread(self.store, current_version(self.store), post_id, platform)

    def inbox(self, query=None, state: str = "open", assignee: str | None = None):
        """Questions waiting for us (oldest first) with their state and age, one keyset page."""
        from sounding import browse, inbox

        version = current_version(self.store)
        return inbox.questions(self.store, version, query or browse.Query(), state, assignee)

    def set_inbox_state(self, platform: str, item_id: str, state: str, assignee: str | None = None) -> dict:
        from sounding import inbox

        return inbox.set_state(self.store, platform, item_id, state, assignee)

    def reply(self, platform: str, item_id: str, text: str, confirm: bool = False, open_connector=None) -> dict:
        """Reply to a question through its account's connector; without ``confirm`` only a preview."""
        from sounding import inbox

        if not confirm:
            return inbox.preview_reply(self.store, platform, item_id, text)
        return inbox.send_reply(self.store, platform, item_id, text, open_connector=open_connector)

    def timeline(self) -> list[dict]:
        from sounding import dashboard

        return dashboard.timeline(self.store) if self.analysed else []

    def experiment_reports(self) -> list[dict]:
        from sounding import dashboard

        return dashboard.experiments(self.store)

    def polls(self) -> list[dict]:
        from sounding import dashboard

        return dashboard.polls(self.store)

    def sync_status(self) -> list[dict]:
        from sounding import dashboard

        return dashboard.sync_status(self.store)

    def analysis_stamp(self) -> str:
        """Changes when an analysis run finishes (a cache key for derived views)."""
        from sounding import dashboard

        return dashboard.analysis_stamp(self.store)

"""What a page costs once per change of the store, not once per request.

:class:`DataVersion` is a stamp that changes whenever the store's data does: SQLite's
``PRAGMA data_version`` on a read-only connection of its own (it moves on every commit of any
other connection, ours included, and costs microseconds), or on PostgreSQL a few indexed
maxima. :class:`Cache` keeps computed values (summaries, rendered pages) with the stamp they were
computed at:

- same stamp: served as is;
- this app wrote since (a mark in the inbox, a reply): computed again before answering, so a
  person sees their own change on the very next page;
- another process wrote (a sync, an import, an analysis): the kept value is served while it is
  younger than ``max_stale`` seconds, and recomputed in the background (one at a time) once it
  is older than ``refresh_after``; past ``max_stale`` a request waits for the new value. Pages
  say "as of HH:MM:SS" so the bound is visible.

Values derived from the analysis alone (lessons, themes, the learning timeline) are kept with
``follows_analysis=True``: their stamp is the last analysis run's (and this app's own writes), so
a sync or import writing all day does not recompute them, only an ``analyze`` does. On a million
comments themes cost seconds to compute; recomputing them every few seconds while an import
wrote kept the refresh thread busy past the staleness bound, and pages waited.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sounding.act.forget import ERASURES_KEY, erasures
from sounding.store import Store
from sounding.store.engine import sqlite_path

REFRESH_AFTER = 5.0  # seconds: while writes go on, a value is recomputed at most this often
MAX_STALE = 30.0  # seconds: the oldest data a page may show once the store has changed
POLL_SECONDS = 0.2  # how often the store's stamp is read (at most)
ANALYSIS_POLL_SECONDS = 1.0  # how often the last analysis run's stamp is read (at most)
SIZE = 512  # values kept (pages of many threads and filters come and go)


class DataVersion:
    """``((writes through this app, erasures), the store's data version)``; see the module doc.

    Erasures (``sounding forget``, from any process) count as this app's own writes: after one, no
    kept page is served, so nobody forgotten is quoted for even the staleness bound."""

    def __init__(self, store: Store, poll: float = POLL_SECONDS) -> None:
        self.store, self.poll = store, poll
        self.path = sqlite_path(store.engine)
        self.local = 0
        self._erasures = 0
        self._value: object = None
        self._at = float("-inf")
        self._analysis: object = None
        self._analysis_at = float("-inf")
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def bump(self) -> None:
        """This app changed the store: what it computed before is no longer shown."""
        with self._lock:
            self.local += 1
            self._at = self._analysis_at = float("-inf")

    def __call__(self) -> tuple[int, object]:
        if time.monotonic() - self._at >= self.poll:
            with self._lock:
                if time.monotonic() - self._at >= self.poll:
                    self._value, self._at = self._read(), time.monotonic()
        return (self.local, self._erasures), self._value

    def analysis(self) -> tuple[int, object]:
        """Like calling it, with the last analysis run's stamp in place of the store's data version."""
        own, _ = self()
        if time.monotonic() - self._analysis_at >= ANALYSIS_POLL_SECONDS:
            from sounding.dashboard import analysis_stamp

            with self._lock:
                if time.monotonic() - self._analysis_at >= ANALYSIS_POLL_SECONDS:
                    self._analysis, self._analysis_at = analysis_stamp(self.store), time.monotonic()
        return own, ("analysis", self._analysis)

    def _read(self) -> object:
        if self.path is None:  # PostgreSQL: new rows and marks at once, edits in place within a minute
            from sounding.dashboard import data_stamp

            with self.store.engine.connect() as conn:
                self._erasures = erasures(conn)
            return data_stamp(self.store), int(time.time() // 60)
        if self._conn is None:
            uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
            self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._value:  # the count moves only with a commit, and a commit moves the version
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (ERASURES_KEY,)).fetchone()
            self._erasures = int(row[0]) if row else 0
        return version


@dataclass(frozen=True)
class Entry:
    version: tuple[int, object]
    started: float  # monotonic time the computation began (its data is at least this fresh)
    as_of: datetime  # the same moment on the wall clock, shown on pages
    value: Any


class Cache:
    """Values by key, kept per :class:`DataVersion` with bounded staleness (see the module doc)."""

    def __init__(self, api, refresh_after: float = REFRESH_AFTER, max_stale: float = MAX_STALE,
                 size: int = SIZE, version: DataVersion | None = None) -> None:
        self.api, self.refresh_after, self.max_stale, self.size = api, refresh_after, max_stale, size
        self.version = version or DataVersion(api.store)
        self.values: OrderedDict[str, Entry] = OrderedDict()
        self.guard = threading.Lock()
        self.locks: dict[str, threading.Lock] = {}
        self.pending: set[str] = set()
        self.refresher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cache-refresh")

    def __call__(self, key: str, compute: Callable[[], Any], follows_analysis: bool = False) -> Any:
        return self.entry(key, compute, follows_analysis).value

    def _stamp(self, follows_analysis: bool) -> tuple[int, object]:
        return self.version.analysis() if follows_analysis else self.version()

    def peek(self, key: str, compute: Callable[[], Any], follows_analysis: bool = False) -> Entry | None:
        """The value to serve now without computing in this thread (``None``: compute it first)."""
        version = self._stamp(follows_analysis)
        with self.guard:
            hit = self.values.get(key)
            if hit is not None:
                self.values.move_to_end(key)
        if hit is None or hit.version == version:
            return hit
        if hit.version[0] != version[0]:  # our own write: never shown stale
            return None
        age = time.monotonic() - hit.started
        if age >= self.max_stale:
            return None
        if age >= self.refresh_after:
            if getattr(_reads, "refreshing", False):  # a refresh brings the parts it uses up to date too
                return None
            self._refresh(key, compute, follows_analysis)
        return hit

    def entry(self, key: str, compute: Callable[[], Any], follows_analysis: bool = False) -> Entry:
        hit = self.peek(key, compute, follows_analysis)
        if hit is None:
            with self._lock(key):  # one computation per key; the others wait for it
                hit = self.peek(key, compute, follows_analysis) or self._compute(key, compute, follows_analysis)
        reads = getattr(_reads, "stack", None)
        if reads:  # a value computed from this one is no fresher than it
            reads[-1].parts.append(hit)
        return hit

    def forget(self, key: str) -> None:
        with self.guard:
            self.values.pop(key, None)

    def _lock(self, key: str) -> threading.Lock:
        with self.guard:
            return self.locks.setdefault(key, threading.Lock())

    def _compute(self, key: str, compute: Callable[[], Any], follows_analysis: bool = False) -> Entry:
        version = self._stamp(follows_analysis)  # read before the data: a later write is seen next time
        started, as_of_ = time.monotonic(), datetime.now()
        stack = _reads.__dict__.setdefault("stack", [])
        stack.append(_Frame(as_of_, []))
        try:
            value = compute()
        finally:
            frame = stack.pop()
        for part in frame.parts:
            started, as_of_ = min(started, part.started), min(as_of_, part.as_of)
        entry = Entry(version, started, as_of_, value)
        with self.guard:
            self.values[key] = entry
            self.values.move_to_end(key)
            while len(self.values) > self.size:
                old, _ = self.values.popitem(last=False)
                self.locks.pop(old, None)
        return entry

    def _refresh(self, key: str, compute: Callable[[], Any], follows_analysis: bool) -> None:
        with self.guard:
            if key in self.pending:
                return
            self.pending.add(key)

        def run() -> None:
            _reads.refreshing = True
            try:
                with self._lock(key):
                    self._compute(key, compute, follows_analysis)
            finally:
                _reads.refreshing = False
                with self.guard:
                    self.pending.discard(key)

        self.refresher.submit(run)


@dataclass
class _Frame:
    started: datetime
    parts: list[Entry]


_reads = threading.local()  # per thread: the cached values each running computation used


def as_of() -> datetime:
    """When the data of the page being computed in this thread was read: the oldest of the cached
    values it used (now, outside a cached computation)."""
    stack = getattr(_reads, "stack", None)
    if not stack:
        return datetime.now()
    frame = stack[-1]
    return min([frame.started, *(part.as_of for part in frame.parts)])

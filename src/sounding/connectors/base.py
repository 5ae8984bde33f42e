"""The connector interface, the shared incremental/resumable sync pass, and the registry.

A connector is opened for one connected account (:class:`AccountRef` plus its secret) and does two
things:

* :meth:`Connector.sync` yields :class:`~sounding.records.SyncBatch` es: our posts, every reply in
  their threads (all depths, ``parent_id`` = the post or comment replied to), reaction counts
  (inline on the post/comment records, which the store turns into snapshots) and poll results. Each
  batch carries the cursor to persist *with* it, so a sync killed at any point resumes from the
  last written batch, losing and duplicating nothing.
* :meth:`Connector.publish` posts a question, a poll, a variant or a reply and returns the platform
  ids it created.

Adding a platform is one module: subclass :class:`ThreadedConnector` (or :class:`Connector`) and
register it, either in :data:`BUILTIN` below or from another package as a plugin
(:mod:`sounding.plugins`: a ``register_connectors`` hook in the entry-point group ``sounding``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any, ClassVar

from sounding.connectors.retry import ConnectorError, Retrier, RetryPolicy, Transient
from sounding.errors import NotFoundError
from sounding.hookspecs import hookimpl
from sounding.records import CommentRecord, PostRecord, Record, SyncBatch

log = logging.getLogger("sounding.connectors")


# -- what a connector is given ---------------------------------------------------------------------
@dataclass(slots=True)
class AccountRef:
    """A connected account as the connector sees it. ``secret`` never goes to the store or logs."""

    platform: str
    handle: str
    service_url: str | None = None
    secret: str | None = field(default=None, repr=False)
    options: dict[str, str] = field(default_factory=dict)
    id: int | None = None  # the store's account id, when known

    def __repr__(self) -> str:  # never print the secret, even by accident
        return f"AccountRef(platform={self.platform!r}, handle={self.handle!r}, service_url={self.service_url!r})"


# -- what can be published -------------------------------------------------------------------------
@dataclass(slots=True)
class PostItem:
    """A question or statement as a new top-level post. ``variant`` labels one wording of a test."""

    text: str
    variant: str | None = None


@dataclass(slots=True)
class PollItem:
    """A poll. Native where the platform has polls (Mastodon); emulated on Bluesky (see its module)."""

    question: str
    options: list[str]
    expires_in: int = 24 * 3600  # seconds
    multiple: bool = False


@dataclass(slots=True)
class ReplyItem:
    """A reply to a post or comment, by platform id."""

    parent_id: str
    text: str


PublishItem = PostItem | PollItem | ReplyItem


# -- what connecting an account needs ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Field:
    """One value ``connect`` needs for a platform, and where it may come from.

    ``options`` are the ``connect`` parameters that may give it (first non-empty wins), ``stdin``
    the ``--*-stdin`` flags that read it from standard input; otherwise it is prompted for (hidden
    when ``secret``), or ``default`` is used.
    """

    name: str
    prompt: str
    options: tuple[str, ...] = ()
    stdin: tuple[str, ...] = ()
    secret: bool = False
    default: str | None = None
    required: bool = True


@dataclass(frozen=True, slots=True)
class ConnectSpec:
    """What a platform asks for on ``connect``: a handle, maybe a server, the credential parts.

    With one credential field the secret is its value; with several it is a JSON object of them
    (``bundle_stdin`` names a flag that reads that whole object from standard input at once).
    """

    handle: Field = Field("handle", "Handle", options=("handle",))
    service: Field | None = Field("service", "Server URL", options=("service", "instance"), required=False)
    credentials: tuple[Field, ...] = (
        Field("secret", "Secret", stdin=("token_stdin", "password_stdin"), secret=True),
    )
    bundle_stdin: str | None = None

    def pack(self, values: Mapping[str, str]) -> str:
        """The secret string kept for the account."""
        if len(self.credentials) == 1:
            return values[self.credentials[0].name]
        return json.dumps({f.name: values[f.name] for f in self.credentials if values.get(f.name)})


class PublishNotSupported(ConnectorError):
    """The platform (or this connector) cannot publish that kind of item."""


# -- the interface -------------------------------------------------------------------------------
class Connector(ABC):
    """One platform, opened for one account."""

    platform: ClassVar[str]
    #: streams this connector keeps a cursor for (the store keeps one per account and stream)
    streams: ClassVar[tuple[str, ...]] = ("posts",)
    #: whether :meth:`publish` works at all
    can_publish: ClassVar[bool] = False
    #: what ``sounding connect`` / :meth:`Sounding.connect` needs for this platform
    connect_spec: ClassVar[ConnectSpec] = ConnectSpec()

    def __init__(
        self,
        account: AccountRef,
        *,
        policy: RetryPolicy | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        from sounding.connectors.secrets import REDACTOR

        REDACTOR.add(account.secret)
        self.account = account
        self.retrier = Retrier(self.platform, self.classify, policy, on_wait)

    # Connectors override these three ------------------------------------------------------------
    @abstractmethod
    def sync(self, account: AccountRef, since_cursor: Mapping[str, str | None]) -> Iterator[SyncBatch]:
        """Yield batches of records; ``since_cursor`` maps each of :attr:`streams` to its stored cursor."""

    def publish(self, item: PublishItem) -> list[str]:
        """Publish ``item``; returns the platform ids created (the post first)."""
        raise PublishNotSupported(f"{self.platform}: publishing is not supported")

    def classify(self, exc: BaseException) -> Transient | None:
        """Whether an exception from the SDK is transient (retry) or not (raise)."""
        return None

    # Helpers -----------------------------------------------------------------------------------
    def call(self, what: str, fn: Callable[..., Any], *args: Any, safe: bool = True, **kwargs: Any) -> Any:
        """Run one SDK call under the retry policy (``safe=False``: only retried after a 429)."""
        return self.retrier.call(what, fn, *args, safe=safe, **kwargs)

    def verify(self) -> str:
        """Check the credentials; return the canonical handle. Default: run nothing."""
        return self.account.handle

    def close(self) -> None:
        """Release network resources."""


@dataclass(slots=True)
class FetchedPost:
    """One of our posts as listed by the platform, plus whatever the connector needs to fetch its thread."""

    record: PostRecord
    raw: Any = None


def _short(platform_id: str) -> str:
    return hashlib.sha1(platform_id.encode()).hexdigest()[:12]


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


class ThreadedConnector(Connector):
    """The sync pass shared by every built-in platform: our posts, then each post's whole thread.

    Cursor of stream ``posts`` (JSON)::

        {"v": 1, "last_pass": ISO | null,            # start of the last completed pass
         "pass": {"started": ISO, "since": ISO|null, # the pass in progress, if one was interrupted
                  "done": [short hashes of posts whose batch is written]} | null}

    A pass walks our posts newest first. The first pass (or ``full=True``) walks all of them (up to
    ``max_posts``); later passes walk the posts created since ``refresh_days`` before the last pass
    began, so new replies, reactions and votes on recent posts are picked up and older posts are not
    downloaded again. Each post becomes one batch (post + poll + every reply), and the batch's cursor
    lists it as done; after a kill, the interrupted pass is resumed and done posts are skipped. The
    pass ends with an empty batch whose cursor records ``last_pass``. Writes are idempotent on
    natural keys, so redoing a post is harmless: resumption only saves work, correctness comes from
    the cursor being committed with the records.
    """

    refresh_days: float = 14.0
    max_posts: int | None = None
    full: bool = False
    pace: float = 0.0  # seconds to wait between two posts' threads (be gentle with small instances)

    @abstractmethod
    def iter_posts(self, since: datetime | None) -> Iterator[FetchedPost]:
        """Our posts, newest first; may stop early once posts are older than ``since``."""

    @abstractmethod
    def fetch_thread(self, post: FetchedPost) -> list[Record]:
        """Every reply of ``post`` at every depth (parents before children), plus its poll if any."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sync(self, account: AccountRef, since_cursor: Mapping[str, str | None]) -> Iterator[SyncBatch]:
        state = _load_cursor(since_cursor.get("posts"))
        pass_ = state.get("pass")
        if pass_ is None:
            started = self.now()
            since: datetime | None = None
            if state.get("last_pass") and not self.full:
                since = datetime.fromisoformat(state["last_pass"]) - timedelta(days=self.refresh_days)
            pass_ = {"started": _iso(started), "since": _iso(since) if since else None, "done": []}
        else:
            log.info(
                "%s: resuming an interrupted sync (%d posts already done)", self.platform, len(pass_["done"])
            )
        since = datetime.fromisoformat(pass_["since"]) if pass_.get("since") else None
        done = set(pass_["done"])
        seen = fetched = 0
        for post in self.iter_posts(since):
            if since is not None and post.record.created_at < since:
                continue  # older than the refresh window (iter_posts stops paging soon after)
            seen += 1
            if self.max_posts is not None and seen > self.max_posts:
                break
            key = _short(post.record.id)
            if key in done:
                continue
            if self.pace and fetched:
                time.sleep(self.pace)
            fetched += 1
            records: list[Record] = [post.record]
            records.extend(self.fetch_thread(post))
            observed = self.now()
            for r in records:  # counts were read now: the store makes snapshots at this time
                if isinstance(r, (PostRecord, CommentRecord)) and getattr(r, "observed_at", None) is None:
                    r.observed_at = observed
            done.add(key)
            pass_["done"] = sorted(done)
            yield SyncBatch(
                records=records,
                stream="posts",
                cursor=_dump_cursor({"v": 1, "last_pass": state.get("last_pass"), "pass": pass_}),
            )
        yield SyncBatch(
            records=[],
            stream="posts",
            cursor=_dump_cursor({"v": 1, "last_pass": pass_["started"], "pass": None}),
        )


def _load_cursor(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {"v": 1, "last_pass": None, "pass": None}
    try:
        data = json.loads(raw)
    except ValueError:
        log.warning("unreadable sync cursor; starting a full pass")
        return {"v": 1, "last_pass": None, "pass": None}
    if not isinstance(data, dict) or data.get("v") != 1:
        return {"v": 1, "last_pass": None, "pass": None}
    return data


def _dump_cursor(state: dict[str, Any]) -> str:
    return json.dumps(state, separators=(",", ":"), sort_keys=True)


def order_parents_first(comments: list[CommentRecord], root_id: str) -> list[CommentRecord]:
    """Sort replies so each comes after its parent (the store resolves parents level by level)."""
    by_parent: dict[str, list[CommentRecord]] = {}
    for c in comments:
        by_parent.setdefault(c.parent_id, []).append(c)
    out: list[CommentRecord] = []
    seen: set[str] = set()
    frontier = [root_id]
    while frontier:
        nxt = []
        for pid in frontier:
            for c in sorted(by_parent.get(pid, []), key=lambda c: (c.created_at, c.id)):
                if c.id not in seen:
                    seen.add(c.id)
                    out.append(c)
                    nxt.append(c.id)
        frontier = nxt
    # anything whose parent we never saw (e.g. a reply to a deleted comment) goes last, as is
    out.extend(c for c in comments if c.id not in seen)
    return out


# -- registry --------------------------------------------------------------------------------------
#: built-in connectors: platform name -> "module:Class" (imported lazily; SDKs are heavy)
BUILTIN: dict[str, str] = {
    "bluesky": "sounding.connectors.bluesky:BlueskyConnector",
    "mastodon": "sounding.connectors.mastodon:MastodonConnector",
    "reddit": "sounding.connectors.reddit:RedditConnector",
    "youtube": "sounding.connectors.youtube:YouTubeConnector",
    "instagram": "sounding.connectors.instagram:InstagramConnector",
    "facebook": "sounding.connectors.facebook:FacebookConnector",
    "x": "sounding.connectors.x:XConnector",
}

_REGISTRY: dict[str, str | type[Connector]] = {}
_plugins_loaded = False


@hookimpl
def register_connectors() -> dict[str, str]:
    """The built-in connectors, registered as a plugin like any other."""
    return dict(BUILTIN)


def register(name: str, target: str | type[Connector]) -> None:
    """Register a connector class (or a lazy ``"module:Class"`` reference) under a platform name."""
    _REGISTRY[name] = target


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from sounding import plugins

    for name, target in plugins.connectors().items():
        _REGISTRY.setdefault(name, target)


def available() -> list[str]:
    """Names of every registered platform."""
    _load_plugins()
    return sorted(_REGISTRY)


def get_connector_class(name: str) -> type[Connector]:
    """The connector class for a platform name."""
    _load_plugins()
    try:
        target = _REGISTRY[name]
    except KeyError:
        raise NotFoundError(f"unknown platform {name!r}; known: {', '.join(available())}") from None
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        target = getattr(import_module(module), attr)
        _REGISTRY[name] = target
    return target


def open_connector(account: AccountRef, **kwargs: Any) -> Connector:
    """Instantiate the connector for ``account.platform``, opened for that account."""
    return get_connector_class(account.platform)(account, **kwargs)

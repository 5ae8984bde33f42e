"""Bluesky (any AT Protocol PDS + AppView) through the ``atproto`` SDK.

Synced: our top-level posts (``app.bsky.feed.getAuthorFeed``, filter ``posts_no_replies``, reposts of
others skipped), each post's whole reply tree (``getPostThread``), like/repost/reply/quote counts,
and the results of our polls.

Deep threads: ``getPostThread`` has no cursor and stops at ``depth``. Every node whose ``replyCount``
is larger than the replies returned under it is queried again with that node as the root, until
every branch is complete (each node at most once).

Polls: Bluesky has no native polls. A poll is published as **a post plus counted replies**: the post
reads the question and numbered options ("Reply with the number of your choice"), and a companion
record of our own collection ``dev.sounding.poll`` (written with ``validate=False``) points at the
post and lists the options, so a sync knows which posts are polls. Votes are the direct replies
whose text is an option's number (``1``, ``#1``, ``1.``) or its exact text, one vote per author
(the latest counts).

Authors are DIDs (stable; handles can change). Post and comment ids are ``at://`` URIs.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
from atproto import Client, models
from atproto_client.exceptions import (
    BadRequestError,
    InvokeTimeoutError,
    NetworkError,
    RateLimitExceededError,
    RequestException,
    UnauthorizedError,
)
from atproto_client.request import Request

from sounding.connectors._util import as_datetime, as_int
from sounding.connectors.base import (
    AccountRef,
    ConnectSpec,
    Field,
    FetchedPost,
    PollItem,
    PostItem,
    PublishItem,
    PublishNotSupported,
    ReplyItem,
    ThreadedConnector,
    order_parents_first,
)
from sounding.connectors.retry import AuthError, ConnectorError, Transient, delay_from_headers
from sounding.records import CommentRecord, PollRecord, PostRecord, Record

log = logging.getLogger("sounding.connectors")

DEFAULT_SERVICE = "https://bsky.social"
POLL_COLLECTION = "dev.sounding.poll"
MAX_GRAPHEMES = 300
_VOTE = re.compile(r"^\s*#?\s*(\d{1,2})\s*[.)]?\s*$")


def _value(obj: Any, name: str, default: Any = None) -> Any:
    """Attribute or key access (the SDK gives models, unknown record types come as dicts)."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _plain(value: Any) -> dict:
    """A record value as a plain dict (unknown record types come back as the SDK's DotDict)."""
    if isinstance(value, dict):
        return value
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value.model_dump(by_alias=True)


class BlueskyConnector(ThreadedConnector):
    platform = "bluesky"
    can_publish = True
    connect_spec = ConnectSpec(
        handle=Field("handle", "Bluesky handle (e.g. brand.bsky.social)", options=("handle",)),
        service=Field("service", "PDS URL", options=("service",), default="https://bsky.social"),
        credentials=(Field("password", "App password", stdin=("password_stdin",), secret=True),),
    )
    thread_depth: int = 10  # per getPostThread call; deeper branches are queried again
    page_size: int = 50
    timeout: float = 30.0

    def __init__(
        self, account: AccountRef, *, transport: httpx.BaseTransport | None = None, **kwargs: Any
    ) -> None:
        super().__init__(account, **kwargs)
        self.service = (account.service_url or DEFAULT_SERVICE).rstrip("/")
        http: dict[str, Any] = {"timeout": self.timeout}
        if transport is not None:  # an httpx transport (tests inject faults there)
            http["transport"] = transport
        self.client = Client(base_url=self.service, request=Request(**http))
        self._did: str | None = None
        self._polls: dict[str, dict] | None = None
        self.queries = 0  # getPostThread calls, for tests and logs

    # -- errors ----------------------------------------------------------------------------------
    def classify(self, exc: BaseException) -> Transient | None:
        if isinstance(exc, RateLimitExceededError):
            delay = exc.retry_after
            if delay is None and exc.response is not None:
                delay = delay_from_headers(exc.response.headers)
            return Transient("HTTP 429 rate limited", delay, rate_limited=True)
        if isinstance(exc, InvokeTimeoutError):
            return Transient("timeout")
        if isinstance(exc, NetworkError):
            code = exc.response.status_code if exc.response is not None else None
            return Transient(f"HTTP {code}" if code else "network error")
        if isinstance(exc, RequestException) and exc.response is not None and exc.response.status_code >= 500:
            return Transient(
                f"HTTP {exc.response.status_code} server error", delay_from_headers(exc.response.headers)
            )
        if isinstance(exc, httpx.TransportError):
            return Transient(f"transport error ({type(exc).__name__})")
        if isinstance(exc, ValueError) and not isinstance(exc, BadRequestError):
            # pydantic_core.from_json on a cut-off body: "EOF while parsing ..."
            text = str(exc)
            if "EOF" in text or "parsing" in text or "JSON" in text or "json" in text:
                return Transient("truncated or invalid JSON response")
        return None

    def call(self, what: str, fn: Any, *args: Any, safe: bool = True, **kwargs: Any) -> Any:
        try:
            return super().call(what, fn, *args, safe=safe, **kwargs)
        except UnauthorizedError as exc:
            detail = exc.response.status_code if exc.response is not None else ""
            raise AuthError(
                f"bluesky: {self.service} refused the login or session ({detail}); "
                "check the handle and app password, reconnect with `sounding connect bluesky`"
            ) from None

    # -- account ---------------------------------------------------------------------------------
    def login(self) -> str:
        if self._did is None:
            if not self.account.secret:
                raise AuthError(f"bluesky: no app password stored for {self.account.handle}")
            self.call(
                "log in",
                self.client.login,
                self.account.handle,
                self.account.secret,
                fetch_bsky_profile=False,
            )
            session = self.client._session
            if self.client.me is None:  # send_post/like need `me`; fill it from the session
                self.client.me = models.AppBskyActorDefs.ProfileViewDetailed(
                    did=session.did, handle=session.handle
                )
            self._did = session.did
        return self._did

    def verify(self) -> str:
        self.login()
        return str(self.client.me.handle)

    # -- sync ------------------------------------------------------------------------------------
    def iter_posts(self, since: datetime | None) -> Iterator[FetchedPost]:
        did = self.login()
        cursor = None
        while True:
            page = self.call(
                "list our posts",
                self.client.get_author_feed,
                actor=did,
                cursor=cursor,
                filter="posts_no_replies",
                limit=self.page_size,
            )
            oldest = None
            for item in page.feed:
                post = item.post
                if item.reason is not None or post.author.did != did:
                    continue  # a repost of someone else's post
                if _value(post.record, "reply") is not None:
                    continue
                record = self._post(post)
                oldest = record.created_at
                yield FetchedPost(record=record, raw=post)
            cursor = page.cursor
            if not cursor or not page.feed:
                return
            if since is not None and oldest is not None and oldest < since:
                return

    def _post(self, post: Any) -> PostRecord:
        return PostRecord(
            platform=self.platform,
            id=post.uri,
            author=post.author.did,
            text=_value(post.record, "text", "") or "",
            created_at=as_datetime(
                _value(post.record, "created_at") or _value(post.record, "createdAt") or post.indexed_at
            ),
            url=self._web_url(post),
            ours=post.author.did == self._did,
            likes=as_int(post.like_count),
            reposts=as_int(post.repost_count),
            replies=as_int(post.reply_count),
            account=self.account.handle,
        )

    @staticmethod
    def _web_url(post: Any) -> str:
        rkey = post.uri.rsplit("/", 1)[-1]
        return f"https://bsky.app/profile/{post.author.handle}/post/{rkey}"

    def _comment(self, node_post: Any, parent_uri: str) -> CommentRecord:
        langs = _value(node_post.record, "langs") or []
        return CommentRecord(
            platform=self.platform,
            id=node_post.uri,
            parent_id=parent_uri,
            author=node_post.author.did,
            text=_value(node_post.record, "text", "") or "",
            created_at=as_datetime(_value(node_post.record, "created_at") or node_post.indexed_at),
            url=self._web_url(node_post),
            ours=node_post.author.did == self._did,
            lang=langs[0] if langs else None,
            likes=as_int(node_post.like_count),
            reposts=as_int(node_post.repost_count),
            replies=as_int(node_post.reply_count),
        )

    def _thread(self, uri: str) -> Any:
        self.queries += 1
        resp = self.call(
            "read thread", self.client.get_post_thread, uri, depth=self.thread_depth, parent_height=0
        )
        return resp.thread

    def fetch_thread(self, post: FetchedPost) -> list[Record]:
        """The whole reply tree of ``post``: re-queries nodes whose replies were cut at ``depth``."""
        root_uri = post.record.id
        comments: dict[str, CommentRecord] = {}
        queried: set[str] = set()
        pending = [root_uri]
        while pending:
            uri = pending.pop()
            if uri in queried:
                continue
            queried.add(uri)
            thread = self._thread(uri)
            if _value(thread, "post") is None:  # not found / blocked
                continue
            if uri == root_uri:  # fresher counts than the feed's
                post.record.likes = as_int(thread.post.like_count)
                post.record.reposts = as_int(thread.post.repost_count)
                post.record.replies = as_int(thread.post.reply_count)
            stack = [thread]
            while stack:
                node = stack.pop()
                replies = [r for r in (_value(node, "replies") or []) if _value(r, "post") is not None]
                for reply in replies:
                    if reply.post.uri not in comments:
                        comments[reply.post.uri] = self._comment(reply.post, node.post.uri)
                    stack.append(reply)
                wanted = as_int(node.post.reply_count) or 0
                if wanted > len(replies) and node.post.uri not in queried:
                    pending.append(node.post.uri)  # cut at depth (or hidden): ask with it as root
        out: list[Record] = []
        poll = self._poll_for(post.record, list(comments.values()))
        if poll is not None:
            out.append(poll)
        out.extend(order_parents_first(list(comments.values()), root_uri))
        return out

    # -- polls -----------------------------------------------------------------------------------
    def _poll_records(self) -> dict[str, dict]:
        """Our ``dev.sounding.poll`` records by post URI (one listRecords walk per sync)."""
        if self._polls is None:
            did = self.login()
            polls: dict[str, dict] = {}
            cursor = None
            while True:
                page = self.call(
                    "list our polls",
                    self.client.com.atproto.repo.list_records,
                    models.ComAtprotoRepoListRecords.Params(
                        repo=did, collection=POLL_COLLECTION, cursor=cursor, limit=100
                    ),
                )
                for rec in page.records:
                    value = _plain(rec.value)
                    uri = _value(_value(value, "post"), "uri")
                    if uri:
                        polls[uri] = value
                cursor = page.cursor
                if not cursor or not page.records:
                    break
            self._polls = polls
        return self._polls

    def _poll_for(self, post: PostRecord, comments: list[CommentRecord]) -> PollRecord | None:
        spec = self._poll_records().get(post.id)
        if spec is None:
            return None
        options = [str(o) for o in spec.get("options", [])]
        latest: dict[str, tuple[datetime, int]] = {}
        for c in comments:
            if c.parent_id != post.id or c.ours:
                continue
            choice = self.parse_vote(c.text, options)
            if choice is None:
                continue
            if c.author not in latest or latest[c.author][0] <= c.created_at:
                latest[c.author] = (c.created_at, choice)
        votes = [0] * len(options)
        for _, choice in latest.values():
            votes[choice] += 1
        closes = spec.get("closesAt")
        return PollRecord(
            platform=self.platform,
            post_id=post.id,
            options=options,
            votes=votes,
            taken_at=self.now(),
            closes_at=as_datetime(closes) if closes else None,
            voters=len(latest),
        )

    @staticmethod
    def parse_vote(text: str, options: list[str]) -> int | None:
        """The option index a reply votes for, or ``None``: "2", "#2", "2." or the option's text."""
        m = _VOTE.match(text or "")
        if m:
            n = int(m.group(1))
            return n - 1 if 1 <= n <= len(options) else None
        t = (text or "").strip().strip(".!").casefold()
        for i, o in enumerate(options):
            if t == o.strip().casefold():
                return i
        return None

    # -- publish ---------------------------------------------------------------------------------
    @staticmethod
    def poll_text(item: PollItem) -> str:
        lines = [item.question.strip(), "", "Reply with the number of your choice:"]
        lines += [f"{i}. {o}" for i, o in enumerate(item.options, 1)]
        return "\n".join(lines)

    def _send(self, what: str, text: str, reply_to: Any = None) -> Any:
        if len(text) > MAX_GRAPHEMES:
            raise ConnectorError(f"bluesky: a post is at most {MAX_GRAPHEMES} characters ({len(text)} given)")
        self.login()
        # Not idempotent: retried only after a 429 (nothing was created then).
        return self.call(what, self.client.send_post, text=text, reply_to=reply_to, safe=False)

    def publish(self, item: PublishItem) -> list[str]:
        if isinstance(item, PostItem):
            return [self._send("publish post", item.text).uri]
        if isinstance(item, PollItem):
            if not 2 <= len(item.options) <= 9:
                raise ConnectorError("bluesky: a poll needs 2 to 9 options (votes are reply numbers 1-9)")
            sent = self._send("publish poll", self.poll_text(item))
            did = self.login()
            now = self.now()
            record = {
                "$type": POLL_COLLECTION,
                "post": {"uri": sent.uri, "cid": sent.cid},
                "question": item.question,
                "options": list(item.options),
                "multiple": item.multiple,
                "createdAt": now.isoformat().replace("+00:00", "Z"),
                "closesAt": (now + timedelta(seconds=item.expires_in)).isoformat().replace("+00:00", "Z"),
            }
            made = self.call(
                "publish poll record",
                self.client.com.atproto.repo.create_record,
                models.ComAtprotoRepoCreateRecord.Data(
                    repo=did, collection=POLL_COLLECTION, record=record, validate=False
                ),
                safe=False,
            )
            self._polls = None
            return [sent.uri, made.uri]
        if isinstance(item, ReplyItem):
            parent = self._strong_ref(item.parent_id)
            root_ref = parent
            rec = self.call(
                "read parent", self.client.get_post_thread, item.parent_id, depth=0, parent_height=0
            )
            reply_meta = _value(rec.thread.post.record, "reply")
            if reply_meta is not None:
                root_ref = models.ComAtprotoRepoStrongRef.Main(
                    uri=reply_meta.root.uri, cid=reply_meta.root.cid
                )
            ref = models.AppBskyFeedPost.ReplyRef(parent=parent, root=root_ref)
            return [self._send("publish reply", item.text, reply_to=ref).uri]
        raise PublishNotSupported(f"bluesky: cannot publish {type(item).__name__}")

    def _strong_ref(self, uri: str) -> Any:
        self.login()
        repo, _, rest = uri.removeprefix("at://").partition("/")
        collection, _, rkey = rest.partition("/")
        got = self.call(
            "read parent record",
            self.client.com.atproto.repo.get_record,
            models.ComAtprotoRepoGetRecord.Params(repo=repo, collection=collection, rkey=rkey),
        )
        return models.ComAtprotoRepoStrongRef.Main(uri=got.uri, cid=got.cid)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.request.close()

"""YouTube comments through google-api-python-client (read only, YouTube Data API v3).

Synced: the videos of our channel (its "uploads" playlist, newest first), their like/view/comment
counts (``videos.list`` statistics), every comment thread (``commentThreads.list`` with
``part=snippet,replies``, all pages) and every reply: a thread embeds at most a few replies, so
whenever ``totalReplyCount`` is larger than what came embedded, ``comments.list(parentId=…)`` is
paged through. YouTube replies are one level deep: a reply's ``parent_id`` is its thread's
top-level comment. Videos with comments disabled (403 ``commentsDisabled``) have no comments.

Connect with an API key (``sounding connect youtube --channel-id UC… --api-key-stdin``); the handle
is the channel id. Authors are channel ids.

Rate limits and faults: 429 (with ``Retry-After``), 5xx, timeouts and cut-off JSON are retried by
our :class:`~sounding.connectors.retry.Retrier` (the client's own ``num_retries`` is 0). A 403
``quotaExceeded``/``dailyLimitExceeded`` is not retried: the daily quota resets at midnight Pacific
time, so the sync stops with that message and resumes on the next run.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from sounding.connectors._util import as_datetime, as_int
from sounding.connectors.base import (
    AccountRef,
    ConnectSpec,
    FetchedPost,
    Field,
    ThreadedConnector,
    order_parents_first,
)
from sounding.connectors.retry import (
    AuthError,
    ConnectorError,
    SyncInterrupted,
    Transient,
    delay_from_headers,
)
from sounding.platforms import youtube
from sounding.records import CommentRecord, PostRecord, Record

PAGE = 50


def _reason(exc: HttpError) -> str:
    try:
        data = json.loads(exc.content.decode("utf-8", "replace"))
        errors = data.get("error", {}).get("errors") or []
        return str(errors[0].get("reason")) if errors else str(data.get("error", {}).get("status", ""))
    except (ValueError, AttributeError):
        return ""


class YouTubeConnector(ThreadedConnector):
    platform = "youtube"
    connect_spec = ConnectSpec(
        handle=Field("handle", "Channel id (UC…)", options=("channel_id", "handle")),
        service=None,
        credentials=(Field("api_key", "API key", stdin=("api_key_stdin", "token_stdin"), secret=True),),
    )
    timeout: float = 30.0

    def __init__(self, account: AccountRef, *, http: Any = None, **kwargs: Any) -> None:
        super().__init__(account, **kwargs)
        if not account.secret:
            raise ConnectorError("youtube: no API key stored for this channel")
        self.channel_id = account.handle
        self.api = build(
            "youtube",
            "v3",
            developerKey=account.secret,
            http=http or httplib2.Http(timeout=self.timeout),
            static_discovery=True,
            cache_discovery=False,
            num_retries=0,
        )

    # -- errors ----------------------------------------------------------------------------------
    def classify(self, exc: BaseException) -> Transient | None:
        if isinstance(exc, HttpError):
            status = int(exc.resp.status)
            if status == 429:
                return Transient(
                    "HTTP 429 rate limited", delay_from_headers(dict(exc.resp)), rate_limited=True
                )
            if status >= 500:
                return Transient(f"HTTP {status} server error", delay_from_headers(dict(exc.resp)))
            return None
        if isinstance(exc, (socket.timeout, TimeoutError)):
            return Transient("timeout")
        if isinstance(exc, (httplib2.HttpLib2Error, ConnectionError, OSError)):
            return Transient(f"network error ({type(exc).__name__})")
        if isinstance(exc, ValueError):  # json.JSONDecodeError from a cut-off body
            return Transient("truncated or invalid JSON response")
        return None

    def call(self, what: str, fn: Any, *args: Any, safe: bool = True, **kwargs: Any) -> Any:
        try:
            return super().call(what, fn, *args, safe=safe, **kwargs)
        except HttpError as exc:
            # never str(exc): its text carries the request URI, which carries the API key
            status, reason = int(exc.resp.status), _reason(exc)
            if reason in (
                "quotaExceeded",
                "dailyLimitExceeded",
                "rateLimitExceeded",
                "userRateLimitExceeded",
            ):
                raise SyncInterrupted(
                    f"youtube: API quota exhausted ({reason}) during {what}; the daily quota resets at midnight "
                    "Pacific time. What was synced so far is saved; run `sounding sync` again then."
                ) from None
            if status in (401, 403) and reason in (
                "keyInvalid",
                "forbidden",
                "unauthorized",
                "accessNotConfigured",
                "",
            ):
                raise AuthError(f"youtube: the API key was refused (HTTP {status} {reason})") from None
            raise ConnectorError(f"youtube: {what} failed (HTTP {status} {reason})") from None

    def _execute(self, what: str, request: Any) -> dict:
        def run() -> dict:
            body = request.execute(num_retries=0)
            if not isinstance(body, dict):
                # googleapiclient hands back the raw text when the JSON does not parse (cut-off body)
                raise Transient("truncated or invalid JSON response")
            return body

        return self.call(what, run)

    def _pages(self, what: str, request_for: Any) -> Iterator[dict]:
        """Every page of a list call: ``request_for(page_token)`` builds the request for one page."""
        token = None
        while True:
            page = self._execute(what, request_for(token))
            yield page
            token = page.get("nextPageToken")
            if not token:
                return

    def verify(self) -> str:
        self._uploads_playlist()
        return self.channel_id

    # -- sync ------------------------------------------------------------------------------------
    def _uploads_playlist(self) -> str:
        data = self._execute(
            "read channel", self.api.channels().list(part="contentDetails", id=self.channel_id)
        )
        items = data.get("items") or []
        if not items:
            raise ConnectorError(f"youtube: channel {self.channel_id} not found")
        return items[0]["contentDetails"]["relatedPlaylists"]["uploads"]

    def iter_posts(self, since: datetime | None) -> Iterator[FetchedPost]:
        playlist = self._uploads_playlist()
        uploads = self._pages(
            "list our videos",
            lambda token: self.api.playlistItems().list(
                part="contentDetails", playlistId=playlist, maxResults=PAGE, pageToken=token
            ),
        )
        for page in uploads:
            ids = [it["contentDetails"]["videoId"] for it in page.get("items", [])]
            if not ids:
                return
            videos = self._execute(
                "read videos",
                self.api.videos().list(part="snippet,statistics", id=",".join(ids), maxResults=PAGE),
            )
            by_id = {v["id"]: v for v in videos.get("items", [])}
            oldest = None
            for vid in ids:  # keep the playlist's order (newest first)
                if vid in by_id:
                    record = self._post(by_id[vid])
                    oldest = record.created_at
                    yield FetchedPost(record=record, raw=by_id[vid])
            if since is not None and oldest is not None and oldest < since:
                return

    def _post(self, v: dict) -> PostRecord:
        sn, st = v.get("snippet", {}), v.get("statistics", {})
        text = youtube.post_text(sn.get("title", ""), sn.get("description"))
        return PostRecord(
            platform=self.platform,
            id=v["id"],
            author=sn.get("channelId", self.channel_id),
            text=text,
            created_at=youtube.whole_seconds(as_datetime(sn["publishedAt"])),
            url=youtube.video_url(v["id"]),
            ours=sn.get("channelId", self.channel_id) == self.channel_id,
            likes=as_int(st.get("likeCount")),
            replies=as_int(st.get("commentCount")),
            views=as_int(st.get("viewCount")),
            account=self.account.handle,
        )

    def _comment(self, c: dict, parent_id: str) -> CommentRecord:
        sn = c["snippet"]
        author = (sn.get("authorChannelId") or {}).get("value") or sn.get("authorDisplayName") or "[unknown]"
        return CommentRecord(
            platform=self.platform,
            id=c["id"],
            parent_id=parent_id,
            author=author,
            text=sn.get("textOriginal") if sn.get("textOriginal") is not None else sn.get("textDisplay", ""),
            created_at=youtube.whole_seconds(as_datetime(sn["publishedAt"])),
            url=youtube.comment_url(sn.get("videoId"), c["id"]),
            ours=author == self.channel_id,
            likes=as_int(sn.get("likeCount")),
        )

    def fetch_thread(self, post: FetchedPost) -> list[Record]:
        video_id = post.record.id
        comments: list[CommentRecord] = []
        threads = self._pages(
            "list comment threads",
            lambda token: self.api.commentThreads().list(
                part="snippet,replies", videoId=video_id, maxResults=100, pageToken=token,
                textFormat="plainText", order="time",
            ),
        )
        try:
            for page in threads:
                for thread in page.get("items", []):
                    top = thread["snippet"]["topLevelComment"]
                    comments.append(self._comment(top, video_id))
                    embedded = (thread.get("replies") or {}).get("comments") or []
                    total = int(thread["snippet"].get("totalReplyCount") or 0)
                    replies = list(self._all_replies(top["id"])) if total > len(embedded) else embedded
                    seen: set[str] = set()
                    for r in replies:
                        if r["id"] not in seen:
                            seen.add(r["id"])
                            comments.append(self._comment(r, top["id"]))
        except ConnectorError as exc:
            if "commentsDisabled" in str(exc):
                return []
            raise
        return list(order_parents_first(comments, video_id))

    def _all_replies(self, parent_id: str) -> Iterator[dict]:
        for page in self._pages(
            "list replies",
            lambda token: self.api.comments().list(
                part="snippet", parentId=parent_id, maxResults=100, pageToken=token, textFormat="plainText"
            ),
        ):
            yield from page.get("items", [])

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.api.close()

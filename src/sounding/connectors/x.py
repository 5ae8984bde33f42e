"""X (Twitter) through API v2 with the user's own bearer token (httpx).

Synced: our posts, ``GET /2/users/:id/tweets`` (``exclude=retweets,replies``, newest first,
``pagination_token`` paging; X serves at most the 3,200 most recent) with like, repost (retweets
+ quotes), reply and impression counts and native polls (``expansions=attachments.poll_ids``);
the replies in each post's conversation, ``GET /2/tweets/search/recent`` with
``query=conversation_id:ID`` (``next_token`` paging), each reply's parent from its
``referenced_tweets`` ``replied_to``. A reply is ours when its ``author_id`` is our user id.

Recent search only reaches the last 7 days, so replies to older posts are read only while the
post is younger than that (each sync re-reads recent posts; sync at least weekly). Every post
read counts against the monthly post cap of the app's access level; docs/sources.md lists the caps
X's documentation states.

Published (user-context token with ``tweet.write``): posts, native polls and replies,
``POST /2/tweets``.

Rate limits: a 429 waits until ``x-rate-limit-reset`` (epoch seconds) through the Retrier (a wait
beyond its budget stops the sync with that wait in the message; the next sync resumes); when a
response says ``x-rate-limit-remaining: 0`` the next call waits for the reset first. A 429
``UsageCapExceeded`` (the monthly cap) stops at once. 401 is an :class:`AuthError`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from sounding.connectors._util import as_datetime, as_int
from sounding.connectors.base import (
    AccountRef,
    ConnectSpec,
    Field,
    FetchedPost,
    PollItem,
    PostItem,
    PublishItem,
    ReplyItem,
    ThreadedConnector,
    order_parents_first,
)
from sounding.connectors.retry import AuthError, ConnectorError, SyncInterrupted, Transient, delay_from_headers
from sounding.records import CommentRecord, PollRecord, PostRecord, Record

DEFAULT_API_URL = "https://api.x.com"
PAGE = 100
SEARCH_WINDOW = timedelta(days=7)
TWEET_FIELDS = "id,text,created_at,author_id,conversation_id,public_metrics,referenced_tweets,attachments"


class XError(Exception):
    def __init__(self, status: int, body: Any, headers: Mapping[str, str]) -> None:
        self.status = status
        self.body = body if isinstance(body, dict) else {}
        self.headers = dict(headers)
        self.title = str(self.body.get("title") or f"HTTP {status}")
        self.detail = str(self.body.get("detail") or "").splitlines()[0][:300] if self.body.get("detail") else ""
        super().__init__(f"HTTP {status} {self.title}" + (f": {self.detail}" if self.detail else ""))


def reset_delay(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds until ``x-rate-limit-reset`` (an epoch timestamp), else the generic headers."""
    lower = {k.lower(): v for k, v in headers.items()}
    raw = lower.get("x-rate-limit-reset")
    if raw is not None:
        try:
            return max(float(raw) - (time.time() if now is None else now), 0.0)
        except ValueError:
            pass
    return delay_from_headers(headers, now)


class XConnector(ThreadedConnector):
    platform = "x"
    can_publish = True
    connect_spec = ConnectSpec(
        handle=Field("handle", "X username (without @)", options=("handle",)),
        service=Field("service", "X API URL", options=("api_url", "service"), default=DEFAULT_API_URL),
        credentials=(Field("token", "Bearer token", stdin=("token_stdin",), secret=True),),
    )

    def __init__(self, account: AccountRef, *, transport: httpx.BaseTransport | None = None, **kwargs: Any) -> None:
        super().__init__(account, **kwargs)
        if not account.secret:
            raise ConnectorError("x: no bearer token stored for this account")
        self.http = httpx.Client(
            base_url=(account.service_url or DEFAULT_API_URL).rstrip("/") + "/",
            headers={"Authorization": f"Bearer {account.secret}"},
            transport=transport,
            timeout=30.0,
        )
        self.user_id: str | None = None
        self._pause = 0.0

    # -- HTTP ------------------------------------------------------------------------------------
    def _request(self, method: str, path: str, params: Mapping[str, Any] | None = None, json: Any = None) -> dict:
        if self._pause:
            pause, self._pause = self._pause, 0.0
            (self.retrier.on_wait or (lambda m: None))(f"x: rate limit used up; waiting {pause:.0f}s for the reset")
            self.retrier.policy.sleep(pause)
        response = self.http.request(method, path, params=dict(params or {}), json=json)
        if response.headers.get("x-rate-limit-remaining") == "0" and response.status_code < 400:
            wait = reset_delay(response.headers) or 0.0
            # a reset beyond the budget: the next call's 429 stops the sync with that wait in the message
            self._pause = wait if wait <= self.retrier.policy.budget else 0.0
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise XError(response.status_code, body, response.headers)
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError("response is not a JSON object")
        return body

    def classify(self, exc: BaseException) -> Transient | None:
        if isinstance(exc, XError):
            if exc.status == 429 and exc.title != "UsageCapExceeded":
                return Transient("HTTP 429 rate limited", reset_delay(exc.headers), rate_limited=True)
            if exc.status >= 500:
                return Transient(f"HTTP {exc.status} server error", delay_from_headers(exc.headers))
            return None
        if isinstance(exc, httpx.TimeoutException):
            return Transient("timeout")
        if isinstance(exc, httpx.TransportError):
            return Transient(f"network error ({type(exc).__name__})")
        if isinstance(exc, ValueError):
            return Transient("truncated or invalid JSON response")
        return None

    def call(self, what: str, fn: Any, *args: Any, safe: bool = True, **kwargs: Any) -> Any:
        try:
            return super().call(what, fn, *args, safe=safe, **kwargs)
        except XError as exc:
            if exc.status == 401:
                raise AuthError(f"x: the token was refused ({exc}); connect again with a valid token") from None
            if exc.status == 429:
                raise SyncInterrupted(
                    f"x: the monthly post cap of your API tier is used up ({exc}); what was synced is saved"
                ) from None
            if exc.status == 403:
                raise AuthError(f"x: {what} is not allowed for this token or tier ({exc})") from None
            raise ConnectorError(f"x: {what} failed ({exc})") from None

    def _pages(self, what: str, path: str, params: dict, token_param: str) -> Iterator[dict]:
        query = dict(params)
        while True:
            page = self.call(what, self._request, "GET", path, query)
            yield page
            token = (page.get("meta") or {}).get("next_token")
            if not token:
                return
            query = {**params, token_param: token}

    # -- sync ------------------------------------------------------------------------------------
    def verify(self) -> str:
        username = self.account.handle.lstrip("@")
        body = self.call("look up the user", self._request, "GET", f"2/users/by/username/{username}")
        data = body.get("data")
        if not isinstance(data, dict) or not data.get("id"):
            detail = ((body.get("errors") or [{}])[0]).get("detail") or "not found"
            raise ConnectorError(f"x: user {self.account.handle!r}: {detail}")
        self.user_id = str(data["id"])
        return str(data.get("username") or self.account.handle)

    def iter_posts(self, since: datetime | None) -> Iterator[FetchedPost]:
        if self.user_id is None:
            self.verify()
        params: dict[str, Any] = {
            "max_results": PAGE,
            "exclude": "retweets,replies",
            "tweet.fields": TWEET_FIELDS,
            "expansions": "attachments.poll_ids",
            "poll.fields": "id,options,voting_status,end_datetime",
        }
        if since is not None:
            params["start_time"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for page in self._pages("list our posts", f"2/users/{self.user_id}/tweets", params, "pagination_token"):
            polls = {p["id"]: p for p in (page.get("includes") or {}).get("polls") or []}
            for t in page.get("data") or []:
                m = t.get("public_metrics") or {}
                record = PostRecord(
                    platform=self.platform,
                    id=str(t["id"]),
                    author=self.account.handle,
                    text=t.get("text") or "",
                    created_at=as_datetime(t["created_at"]),
                    url=f"https://x.com/{self.account.handle}/status/{t['id']}",
                    ours=True,
                    likes=as_int(m.get("like_count")),
                    reposts=(as_int(m.get("retweet_count")) or 0) + (as_int(m.get("quote_count")) or 0),
                    replies=as_int(m.get("reply_count")),
                    views=as_int(m.get("impression_count")),
                    account=self.account.handle,
                )
                poll_ids = (t.get("attachments") or {}).get("poll_ids") or []
                yield FetchedPost(record=record, raw={"poll": polls.get(poll_ids[0]) if poll_ids else None})

    def fetch_thread(self, post: FetchedPost) -> list[Record]:
        out: list[Record] = []
        if poll := (post.raw or {}).get("poll"):
            options = sorted(poll.get("options") or [], key=lambda o: o.get("position", 0))
            out.append(
                PollRecord(
                    platform=self.platform,
                    post_id=post.record.id,
                    options=[o.get("label", "") for o in options],
                    votes=[int(o.get("votes") or 0) for o in options],
                    taken_at=self.now(),
                    closes_at=as_datetime(poll["end_datetime"]) if poll.get("end_datetime") else None,
                )
            )
        if post.record.replies == 0 or self.now() - post.record.created_at > SEARCH_WINDOW:
            return out  # nothing to find, or beyond what recent search reaches
        params = {
            "query": f"conversation_id:{post.record.id}",
            "max_results": PAGE,
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": "username",
        }
        comments: dict[str, CommentRecord] = {}
        for page in self._pages("search the conversation", "2/tweets/search/recent", params, "next_token"):
            users = {u["id"]: u.get("username") for u in (page.get("includes") or {}).get("users") or []}
            for t in page.get("data") or []:
                parent = next(
                    (r["id"] for r in t.get("referenced_tweets") or [] if r.get("type") == "replied_to"),
                    post.record.id,
                )
                author = str(t.get("author_id") or "")
                m = t.get("public_metrics") or {}
                comments[str(t["id"])] = CommentRecord(
                    platform=self.platform,
                    id=str(t["id"]),
                    parent_id=str(parent),
                    author=users.get(author) or author or "[unknown]",
                    text=t.get("text") or "",
                    created_at=as_datetime(t["created_at"]),
                    url=f"https://x.com/i/status/{t['id']}",
                    ours=author == self.user_id,
                    likes=as_int(m.get("like_count")),
                    reposts=(as_int(m.get("retweet_count")) or 0) + (as_int(m.get("quote_count")) or 0),
                    replies=as_int(m.get("reply_count")),
                    views=as_int(m.get("impression_count")),
                )
        out.extend(order_parents_first(list(comments.values()), post.record.id))
        return out

    # -- publish ---------------------------------------------------------------------------------
    def publish(self, item: PublishItem) -> list[str]:
        body: dict[str, Any]
        if isinstance(item, ReplyItem):
            body = {"text": item.text, "reply": {"in_reply_to_tweet_id": item.parent_id}}
        elif isinstance(item, PollItem):
            minutes = max(5, min(10080, item.expires_in // 60))
            body = {"text": item.question, "poll": {"options": item.options, "duration_minutes": minutes}}
        else:
            assert isinstance(item, PostItem)
            body = {"text": item.text}
        created = self.call("publish", self._request, "POST", "2/tweets", None, body, safe=False)
        return [str(created["data"]["id"])]

    def close(self) -> None:
        self.http.close()

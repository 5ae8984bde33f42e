"""Reddit through PRAW (read only).

Synced: the submissions of our account (``/user/NAME/submitted``, newest first), every comment of
each (``/comments/ID`` then ``replace_more(limit=None)``: "load more comments" stubs through
``/api/morechildren`` and "continue this thread" stubs through ``/comments/ID/_/COMMENT``), score
and comment counts, and native polls (``poll_data``). Deleted and removed comments are kept with
author ``[deleted]`` and their placeholder text, since replies below them still hang from them.

Ids are fullnames (``t3_…`` for submissions, ``t1_…`` for comments): Reddit's ``parent_id`` is a
fullname too, so a reply's parent is exactly the id of the post or comment it answers.

Connect with the credentials of a Reddit "script" app: the secret is JSON
``{"client_id": …, "client_secret": …, "password": …}`` or ``{…, "refresh_token": …}``.

Rate limits: prawcore reads Reddit's ``X-Ratelimit-*`` headers and paces requests itself; its own
short retry is replaced by our :class:`~sounding.connectors.retry.Retrier` (429 with
``Retry-After`` / ``X-Ratelimit-Reset``, 5xx, timeouts, bad JSON).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import praw
import prawcore
import requests
from prawcore.sessions import FiniteRetryStrategy

from sounding.connectors._util import as_datetime, as_int
from sounding.connectors.base import (
    AccountRef,
    ConnectSpec,
    FetchedPost,
    Field,
    ThreadedConnector,
    order_parents_first,
)
from sounding.connectors.retry import AuthError, ConnectorError, Transient, delay_from_headers
from sounding.records import CommentRecord, PollRecord, PostRecord, Record

USER_AGENT = "python:sounding:0.1 (by /u/{handle})"
PAGE = 100


@dataclass(frozen=True)
class _NoRetry(FiniteRetryStrategy):
    """prawcore's own retry disabled: ours has the budget, the jitter and the messages."""

    retries: int = 0

    def _sleep_seconds(self) -> float | None:
        return None


class RedditConnector(ThreadedConnector):
    platform = "reddit"
    timeout: float = 30.0
    connect_spec = ConnectSpec(
        handle=Field("handle", "Reddit username", options=("handle",)),
        service=None,
        credentials=(
            Field("client_id", "Client id", options=("client_id",)),
            Field("client_secret", "Client secret", secret=True),
            Field("password", "Reddit password", stdin=("password_stdin",), secret=True),
        ),
        bundle_stdin="secret_stdin",
    )

    def __init__(
        self, account: AccountRef, *, session: requests.Session | None = None, **kwargs: Any
    ) -> None:
        super().__init__(account, **kwargs)
        try:
            creds = json.loads(account.secret or "{}")
        except ValueError:
            raise ConnectorError(
                "reddit: the stored secret is not the expected JSON "
                "(client_id, client_secret, password or refresh_token)"
            ) from None
        auth: dict[str, Any] = {
            "client_id": creds.get("client_id"),
            "client_secret": creds.get("client_secret"),
        }
        if creds.get("refresh_token"):
            auth["refresh_token"] = creds["refresh_token"]
        else:
            auth["username"] = account.handle
            auth["password"] = creds.get("password")
        self.session = session or requests.Session()
        self.reddit = praw.Reddit(
            user_agent=USER_AGENT.format(handle=account.handle),
            requestor_kwargs={"session": self.session},
            timeout=self.timeout,
            check_for_updates=False,
            check_for_async=False,
            **auth,
        )
        self.reddit._core._retry_strategy_class = _NoRetry  # type: ignore[attr-defined]
        self.reddit.read_only = False

    # -- errors ----------------------------------------------------------------------------------
    def classify(self, exc: BaseException) -> Transient | None:
        if isinstance(exc, prawcore.TooManyRequests):
            return Transient(
                "HTTP 429 rate limited", delay_from_headers(exc.response.headers), rate_limited=True
            )
        if isinstance(exc, prawcore.ServerError):
            return Transient(
                f"HTTP {exc.response.status_code} server error", delay_from_headers(exc.response.headers)
            )
        if isinstance(exc, prawcore.BadJSON):
            return Transient("truncated or invalid JSON response")
        if isinstance(exc, prawcore.ResponseException) and exc.response.status_code in (
            408,
            500,
            502,
            503,
            504,
        ):
            return Transient(f"HTTP {exc.response.status_code}")
        if isinstance(exc, prawcore.RequestException):
            original = exc.original_exception
            if isinstance(original, requests.Timeout):
                return Transient("timeout")
            return Transient(f"network error ({type(original).__name__})")
        if isinstance(exc, ValueError) and "JSON" in str(exc):
            return Transient("truncated or invalid JSON response")
        return None

    def call(self, what: str, fn: Any, *args: Any, safe: bool = True, **kwargs: Any) -> Any:
        try:
            return super().call(what, fn, *args, safe=safe, **kwargs)
        except prawcore.OAuthException as exc:
            raise AuthError(
                f"reddit: login refused ({exc.error}); check the app credentials and reconnect"
            ) from None
        except (prawcore.InvalidToken, prawcore.Forbidden) as exc:
            raise AuthError(f"reddit: access refused (HTTP {exc.response.status_code})") from None

    def verify(self) -> str:
        me = self.call("verify credentials", self.reddit.user.me)
        return str(me.name)

    # -- sync ------------------------------------------------------------------------------------
    def iter_posts(self, since: datetime | None) -> Iterator[FetchedPost]:
        after = None
        while True:
            listing = self.call(
                "list our submissions",
                self.reddit.get,
                f"user/{self.account.handle}/submitted",
                params={"sort": "new", "limit": PAGE, "after": after, "raw_json": 1},
            )
            children = list(listing.children) if hasattr(listing, "children") else list(listing)
            oldest = None
            for sub in children:
                record = self._post(sub)
                oldest = record.created_at
                yield FetchedPost(record=record, raw=sub)
            after = getattr(listing, "after", None)
            if not after or not children:
                return
            if since is not None and oldest is not None and oldest < since:
                return

    def fetch_thread(self, post: FetchedPost) -> list[Record]:
        sub = self.reddit.submission(id=post.raw.id)
        sub.comment_limit = 500
        sub.comment_sort = "new"
        self.call("read thread", sub._fetch)
        self.call("load more comments", sub.comments.replace_more, limit=None)
        out: list[Record] = []
        # fresher counts than the listing's
        post.record.likes = as_int(sub.score)
        post.record.replies = as_int(sub.num_comments)
        poll = getattr(sub, "poll_data", None)
        if poll is not None:
            out.append(self._poll(post.record.id, poll))
        comments = [self._comment(c) for c in sub.comments.list()]
        out.extend(order_parents_first(comments, post.record.id))
        return out

    def _post(self, sub: Any) -> PostRecord:
        author = sub.author.name if sub.author is not None else "[deleted]"
        text = sub.title if not sub.selftext else f"{sub.title}\n\n{sub.selftext}"
        return PostRecord(
            platform=self.platform,
            id=sub.fullname,
            author=author,
            text=text,
            created_at=as_datetime(float(sub.created_utc)),
            url=f"https://www.reddit.com{sub.permalink}",
            ours=author.lower() == self.account.handle.lower(),
            likes=as_int(sub.score),
            replies=as_int(sub.num_comments),
            account=self.account.handle,
        )

    def _comment(self, c: Any) -> CommentRecord:
        author = c.author.name if c.author is not None else "[deleted]"
        return CommentRecord(
            platform=self.platform,
            id=c.fullname,
            parent_id=c.parent_id,
            author=author,
            text=c.body,
            created_at=as_datetime(float(c.created_utc)),
            url=f"https://www.reddit.com{c.permalink}" if getattr(c, "permalink", None) else None,
            ours=author.lower() == self.account.handle.lower(),
            likes=as_int(c.score),
        )

    def _poll(self, post_id: str, poll: Any) -> PollRecord:
        end = getattr(poll, "voting_end_timestamp", None)
        return PollRecord(
            platform=self.platform,
            post_id=post_id,
            options=[o.text for o in poll.options],
            votes=[int(getattr(o, "vote_count", None) or 0) for o in poll.options],
            taken_at=self.now(),
            closes_at=as_datetime(end / 1000) if end else None,
            voters=as_int(getattr(poll, "total_vote_count", None)),
        )

    def close(self) -> None:
        self.session.close()

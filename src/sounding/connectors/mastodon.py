"""Mastodon (any instance) through Mastodon.py.

Synced: our top-level statuses (not boosts, not our replies elsewhere), every descendant of each
(``status_context``: all depths, ``parent_id`` = ``in_reply_to_id``), favourite/boost/reply counts,
and native polls (votes per option, voters, closing time).

Published: posts (questions, variants), native polls (``make_poll``) and replies.

Rate limits: Mastodon.py runs with ``ratelimit_method="throw"``; a 429 is retried by our
:class:`~sounding.connectors.retry.Retrier`, waiting for ``Retry-After`` or Mastodon's
``X-RateLimit-Reset`` (read from the last response through a requests session hook).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from sounding.connectors._util import as_datetime, as_int, html_to_text
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

PAGE = 40


class MastodonConnector(ThreadedConnector):
    platform = "mastodon"
    can_publish = True
    connect_spec = ConnectSpec(  # the handle is optional: verify() reads it from the token
        handle=Field("handle", "Handle", options=("handle",), required=False),
        service=Field("service", "Instance URL (e.g. https://mastodon.social)", options=("instance", "service")),
        credentials=(Field("token", "Access token", stdin=("token_stdin",), secret=True),),
    )
    request_timeout: float = 30.0

    def __init__(self, account: AccountRef, **kwargs: Any) -> None:
        super().__init__(account, **kwargs)
        if not account.service_url:
            raise ConnectorError("mastodon: the account has no instance URL (connect with --instance)")
        self._last_headers: Mapping[str, str] = {}
        session = requests.Session()
        session.hooks["response"].append(self._remember_headers)
        self.api = Mastodon(
            access_token=account.secret,
            api_base_url=account.service_url.rstrip("/"),
            ratelimit_method="throw",
            request_timeout=float(account.options.get("timeout", self.request_timeout)),
            version_check_mode="none",
            session=session,
        )
        self._me: dict | None = None

    def _remember_headers(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last_headers = dict(response.headers)

    # -- errors ----------------------------------------------------------------------------------
    def classify(self, exc: BaseException) -> Transient | None:
        if isinstance(exc, MastodonRatelimitError):
            return Transient(
                "HTTP 429 rate limited", delay_from_headers(self._last_headers), rate_limited=True
            )
        if isinstance(exc, MastodonServerError):
            code = exc.args[1] if len(exc.args) > 1 else "5xx"
            return Transient(f"HTTP {code} server error", delay_from_headers(self._last_headers))
        if isinstance(exc, MastodonNetworkError):
            kind = (
                "timeout"
                if "timed out" in str(exc).lower() or "timeout" in type(exc).__name__.lower()
                else "network error"
            )
            return Transient(kind)
        if isinstance(exc, MastodonAPIError) and "Could not parse response as JSON" in str(
            exc.args[0] if exc.args else ""
        ):
            return Transient("truncated or invalid JSON response")
        return None

    def call(self, what: str, fn: Any, *args: Any, safe: bool = True, **kwargs: Any) -> Any:
        try:
            return super().call(what, fn, *args, safe=safe, **kwargs)
        except MastodonUnauthorizedError:
            raise AuthError(
                f"mastodon: {self.account.service_url} refused the access token (HTTP 401); "
                "reconnect with `sounding connect mastodon`"
            ) from None

    # -- account ---------------------------------------------------------------------------------
    def me(self) -> dict:
        if self._me is None:
            self._me = self.call("verify credentials", self.api.account_verify_credentials)
        return self._me

    def verify(self) -> str:
        return str(self.me()["acct"])

    # -- sync ------------------------------------------------------------------------------------
    def iter_posts(self, since: datetime | None) -> Iterator[FetchedPost]:
        me = self.me()
        page = self.call(
            "list our statuses", self.api.account_statuses, me["id"], exclude_reblogs=True, limit=PAGE
        )
        while page:
            oldest = None
            for status in page:
                oldest = as_datetime(status["created_at"])
                if status.get("in_reply_to_id") is not None or status.get("reblog") is not None:
                    continue
                yield FetchedPost(record=self._post(status), raw=status)
            if since is not None and oldest is not None and oldest < since:
                return
            page = self.call("next page of our statuses", self.api.fetch_next, page)

    def fetch_thread(self, post: FetchedPost) -> list[Record]:
        status = post.raw
        out: list[Record] = []
        if status.get("poll"):
            poll = self.call("read poll", self.api.poll, status["poll"]["id"])
            out.append(self._poll(status["id"], poll))
        context = self.call("read thread", self.api.status_context, status["id"])
        me_id = str(self.me()["id"])
        comments = [self._comment(d, me_id) for d in context["descendants"]]
        out.extend(order_parents_first(comments, str(status["id"])))
        return out

    def _post(self, s: Any) -> PostRecord:
        return PostRecord(
            platform=self.platform,
            id=str(s["id"]),
            author=str(s["account"]["acct"]),
            text=html_to_text(s.get("content")),
            created_at=as_datetime(s["created_at"]),
            url=s.get("url") or s.get("uri"),
            ours=True,
            likes=as_int(s.get("favourites_count")),
            reposts=as_int(s.get("reblogs_count")),
            replies=as_int(s.get("replies_count")),
            account=self.account.handle,
        )

    def _comment(self, s: Any, me_id: str) -> CommentRecord:
        return CommentRecord(
            platform=self.platform,
            id=str(s["id"]),
            parent_id=str(s["in_reply_to_id"]),
            author=str(s["account"]["acct"]),
            text=html_to_text(s.get("content")),
            created_at=as_datetime(s["created_at"]),
            url=s.get("url") or s.get("uri"),
            ours=str(s["account"]["id"]) == me_id,
            lang=s.get("language"),
            likes=as_int(s.get("favourites_count")),
            reposts=as_int(s.get("reblogs_count")),
            replies=as_int(s.get("replies_count")),
        )

    def _poll(self, post_id: Any, poll: Any) -> PollRecord:
        return PollRecord(
            platform=self.platform,
            post_id=str(post_id),
            options=[o["title"] for o in poll["options"]],
            votes=[int(o.get("votes_count") or 0) for o in poll["options"]],
            taken_at=self.now(),
            closes_at=as_datetime(poll["expires_at"]) if poll.get("expires_at") else None,
            voters=as_int(poll.get("voters_count")),
        )

    # -- publish ---------------------------------------------------------------------------------
    def publish(self, item: PublishItem) -> list[str]:
        # An Idempotency-Key makes the instance return the first status if a retried POST repeats it.
        key = uuid.uuid4().hex
        if isinstance(item, PostItem):
            status = self.call("publish post", self.api.status_post, item.text, idempotency_key=key)
        elif isinstance(item, PollItem):
            poll = self.api.make_poll(item.options, expires_in=item.expires_in, multiple=item.multiple)
            status = self.call(
                "publish poll", self.api.status_post, item.question, poll=poll, idempotency_key=key
            )
        elif isinstance(item, ReplyItem):
            status = self.call(
                "publish reply",
                self.api.status_post,
                item.text,
                in_reply_to_id=item.parent_id,
                idempotency_key=key,
            )
        else:  # pragma: no cover - typed union
            raise PublishNotSupported(f"mastodon: cannot publish {type(item).__name__}")
        return [str(status["id"])]

    def close(self) -> None:
        self.api.session.close()

"""Instagram professional accounts (business or creator) through the Instagram Graph API.

Synced: our media (``GET /{ig-user-id}/media``, newest first, cursor paging) with ``like_count``
and ``comments_count``; every comment on each (``GET /{ig-media-id}/comments``, all pages) and
every reply (embedded ``replies{…}`` first; when that embedded edge has a next page,
``GET /{ig-comment-id}/replies`` is paged to the end). Instagram replies are one level deep: a
reply's parent is its top-level comment. A comment is ours when its ``from.id`` is our account id
or its ``username`` is our username.

Published: replies as the brand, ``POST /{ig-comment-id}/replies`` (to a comment) or
``POST /{ig-media-id}/comments`` (to one of our media). New media cannot be published here (the
API needs an image or video container), so questions are asked in captions by hand.

Connect with ``sounding connect instagram --account-id IG_USER_ID --token-stdin`` and a token with
``instagram_basic`` (or ``instagram_business_basic``), ``instagram_manage_comments``
(``instagram_business_manage_comments``) and ``pages_read_engagement``. See docs/sources.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sounding.connectors._util import as_datetime, as_int
from sounding.connectors.base import (
    FetchedPost,
    PublishItem,
    PublishNotSupported,
    ReplyItem,
    order_parents_first,
)
from sounding.connectors.meta import GraphConnector, graph_spec
from sounding.connectors.retry import AuthError, ConnectorError
from sounding.records import CommentRecord, PostRecord, Record

PAGE = 50
COMMENT_FIELDS = "id,text,timestamp,username,like_count,from{id,username},parent_id"
MEDIA_FIELDS = "id,caption,media_type,media_product_type,permalink,timestamp,username,like_count,comments_count"


class InstagramConnector(GraphConnector):
    platform = "instagram"
    can_publish = True
    reconnect = "sounding connect instagram --account-id ID --token-stdin"
    connect_spec = graph_spec("Instagram professional account id (IG user id)", "account_id")
    verify_fields = "id,username,media_count"  # media_count: only an IG professional account has it

    def verify(self) -> str:
        try:
            return super().verify()
        except AuthError:
            raise
        except ConnectorError as exc:
            if "code 100" not in str(exc):
                raise
            raise ConnectorError(
                f"instagram: {self.account.handle} is not an Instagram professional account id (a Page id? "
                "the IG id is GET /{page-id}?fields=instagram_business_account)"
            ) from None

    # -- sync ------------------------------------------------------------------------------------
    def iter_posts(self, since: datetime | None) -> Iterator[FetchedPost]:
        self.account_node()
        for media in self.edge(f"{self.account.handle}/media", fields=MEDIA_FIELDS, limit=PAGE):
            record = self._post(media)
            yield FetchedPost(record=record, raw=media)
            if since is not None and record.created_at < since:
                return  # newest first: everything after is older still

    def _post(self, m: dict) -> PostRecord:
        return PostRecord(
            platform=self.platform,
            id=str(m["id"]),
            author=str(m.get("username") or self.account.handle),
            text=m.get("caption") or "",
            created_at=as_datetime(m["timestamp"]),
            url=m.get("permalink"),
            ours=True,
            likes=as_int(m.get("like_count")),
            replies=as_int(m.get("comments_count")),
            account=self.account.handle,
        )

    def _ours(self, c: dict) -> bool:
        me = self.account_node()
        who = c.get("from") or {}
        return str(who.get("id") or "") == str(me.get("id")) or (
            bool(me.get("username")) and (c.get("username") or who.get("username")) == me.get("username")
        )

    def _comment(self, c: dict, parent_id: str) -> CommentRecord:
        who = c.get("from") or {}
        return CommentRecord(
            platform=self.platform,
            id=str(c["id"]),
            parent_id=parent_id,
            author=str(c.get("username") or who.get("username") or who.get("id") or "[unknown]"),
            text=c.get("text") or "",
            created_at=as_datetime(c["timestamp"]),
            ours=self._ours(c),
            likes=as_int(c.get("like_count")),
        )

    def fetch_thread(self, post: FetchedPost) -> list[Record]:
        media_id = post.record.id
        comments: list[CommentRecord] = []
        seen: set[str] = set()
        fields = f"{COMMENT_FIELDS},replies.limit({PAGE}){{{COMMENT_FIELDS}}}"
        for top in self.edge(f"{media_id}/comments", fields=fields, limit=PAGE):
            if str(top["id"]) in seen:
                continue
            seen.add(str(top["id"]))
            comments.append(self._comment(top, media_id))
            embedded = top.get("replies") or {}
            replies: Any = embedded.get("data") or []
            if (embedded.get("paging") or {}).get("next"):
                replies = self.edge(f"{top['id']}/replies", fields=COMMENT_FIELDS, limit=PAGE)
            for r in replies:
                if str(r["id"]) not in seen:
                    seen.add(str(r["id"]))
                    comments.append(self._comment(r, str(r.get("parent_id") or top["id"])))
        return list(order_parents_first(comments, media_id))

    # -- publish ---------------------------------------------------------------------------------
    def publish(self, item: PublishItem) -> list[str]:
        if not isinstance(item, ReplyItem):
            raise PublishNotSupported(
                "instagram: only replies can be published (new media need an image or video)"
            )
        edge = "replies" if not self._is_media(item.parent_id) else "comments"
        created = self.call(
            f"publish reply ({edge})",
            self.graph.request,
            "POST",
            f"{item.parent_id}/{edge}",
            {"message": item.text},
            safe=False,
        )
        return [str(created["id"])]

    def _is_media(self, object_id: str) -> bool:
        """A media has a ``media_type``; asking a comment for one is an error (code 100)."""
        try:
            return bool(self.get(object_id, fields="id,media_type").get("media_type"))
        except AuthError:
            raise
        except ConnectorError:
            return False

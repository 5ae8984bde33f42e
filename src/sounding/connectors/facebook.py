"""Facebook Pages through the Graph API (a Page access token).

Synced: the Page's feed (``GET /{page-id}/feed``, newest first, cursor paging: the Page's own posts
and the posts visitors wrote on the Page, which are not ours) with reaction
and comment totals (``reactions.summary(total_count)``, ``comments.summary(total_count)``) and
share counts; every comment at every depth with one edge per post,
``GET /{post-id}/comments?filter=stream&order=chronological`` (``stream`` returns replies too, each
with its ``parent``), all pages. A comment is ours when ``from.id`` is the Page id.

Published: posts on the Page (``POST /{page-id}/feed``) and replies as the Page
(``POST /{object-id}/comments`` on a post or a comment). Polls are not in the Pages API.

Connect with ``sounding connect facebook --page-id PAGE_ID --token-stdin`` and a Page access
token with ``pages_show_list``, ``pages_read_engagement``, ``pages_read_user_content`` and, to
reply, ``pages_manage_engagement`` (``pages_manage_posts`` to post). See docs/sources.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sounding.connectors._util import as_datetime, as_int
from sounding.connectors.base import (
    FetchedPost,
    PostItem,
    PublishItem,
    PublishNotSupported,
    ReplyItem,
    order_parents_first,
)
from sounding.connectors.meta import GraphConnector, graph_spec
from sounding.records import CommentRecord, PostRecord, Record

PAGE = 50
POST_FIELDS = (
    "id,message,story,created_time,permalink_url,from{id,name},shares,"
    "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
)
COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id},like_count,comment_count,permalink_url"


def _total(edge: object) -> int | None:
    if isinstance(edge, dict):
        return as_int((edge.get("summary") or {}).get("total_count"))
    return None


class FacebookConnector(GraphConnector):
    platform = "facebook"
    can_publish = True
    reconnect = "sounding connect facebook --page-id ID --token-stdin"
    connect_spec = graph_spec("Facebook Page id", "page_id")
    verify_fields = "id,name"

    def iter_posts(self, since: datetime | None) -> Iterator[FetchedPost]:
        page_id = self.account.handle
        for p in self.edge(f"{page_id}/feed", fields=POST_FIELDS, limit=PAGE):
            author = str((p.get("from") or {}).get("id") or page_id)
            record = PostRecord(
                platform=self.platform,
                id=str(p["id"]),
                author=author,
                text=p.get("message") or p.get("story") or "",
                created_at=as_datetime(p["created_time"]),
                url=p.get("permalink_url"),
                ours=author == page_id,
                likes=_total(p.get("reactions")),
                reposts=as_int((p.get("shares") or {}).get("count")) or 0,
                replies=_total(p.get("comments")),
                account=page_id,
            )
            yield FetchedPost(record=record, raw=p)
            if since is not None and record.created_at < since:
                return

    def fetch_thread(self, post: FetchedPost) -> list[Record]:
        post_id = post.record.id
        comments: dict[str, CommentRecord] = {}
        for c in self.edge(
            f"{post_id}/comments", fields=COMMENT_FIELDS, filter="stream", order="chronological", limit=PAGE
        ):
            who = c.get("from") or {}
            comments[str(c["id"])] = CommentRecord(
                platform=self.platform,
                id=str(c["id"]),
                parent_id=str((c.get("parent") or {}).get("id") or post_id),
                # a commenter's id and name come only with a Page token and only for public profiles
                author=str(who.get("id") or who.get("name") or "[unknown]"),
                text=c.get("message") or "",
                created_at=as_datetime(c["created_time"]),
                url=c.get("permalink_url"),
                ours=str(who.get("id") or "") == self.account.handle,
                likes=as_int(c.get("like_count")),
                replies=as_int(c.get("comment_count")),
            )
        return list(order_parents_first(list(comments.values()), post_id))

    def publish(self, item: PublishItem) -> list[str]:
        if isinstance(item, ReplyItem):
            path, what = f"{item.parent_id}/comments", "publish reply"
            text = item.text
        elif isinstance(item, PostItem):
            path, what = f"{self.account.handle}/feed", "publish post"
            text = item.text
        else:
            raise PublishNotSupported("facebook: Pages have no polls in the Graph API")
        created = self.call(what, self.graph.request, "POST", path, {"message": text}, safe=False)
        return [str(created["id"])]

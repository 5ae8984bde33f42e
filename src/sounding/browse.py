"""Lists for the REST API and the pages: filtered, sorted, keyset-paginated pages of plain dicts.

Large tables (posts, comments) page with ``WHERE (sort_key, id) > cursor`` on their indexes, so
page 1,000 costs what page 1 costs. The cursor is opaque to clients (base64 JSON of the last row's
sort key and id). Small computed lists (themes, lessons, polls…) page by their rank the same way.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, tuple_
from sqlalchemy.orm import aliased

from sounding.errors import UsageError
from sounding.store import Store
from sounding.store.models import Comment, Enrichment, Post, Theme, ThemeMember

MAX_LIMIT = 500
INTENTS = ("question", "suggestion", "problem", "praise", "other")
SENTIMENTS = ("negative", "neutral", "positive")


@dataclass
class Query:
    """What a list request asks for; every field is optional."""

    platform: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    intent: str | None = None
    sentiment: str | None = None
    theme: str | None = None
    post: str | None = None
    search: str | None = None
    sort: str = "created_at"
    limit: int = 50
    after: str | None = None
    period: str | None = None  # how ``since`` was given ("30d"), to show it back in a form
    extra: dict[str, Any] = field(default_factory=dict)

    def check(self, sorts: tuple[str, ...]) -> None:
        if self.sort.lstrip("-") not in sorts:
            raise UsageError(f"sort must be one of {', '.join(sorts)} (prefix - for descending)")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise UsageError(f"limit must be between 1 and {MAX_LIMIT}")
        if self.intent and self.intent not in INTENTS:
            raise UsageError(f"intent must be one of {', '.join(INTENTS)}")
        if self.sentiment and self.sentiment not in SENTIMENTS:
            raise UsageError(f"sentiment must be one of {', '.join(SENTIMENTS)}")


@dataclass
class Page:
    items: list[dict]
    next: str | None


def encode_cursor(key: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, size: int = 2) -> list | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, list) or len(key) != size:
        raise UsageError("invalid cursor: pass the `next` value of the previous page unchanged")
    return key


def _keyset(query, columns, q: Query, row_key):
    """Order by ``columns`` (sort column, id), start after the cursor, fetch one extra row."""
    descending = q.sort.startswith("-")
    key = decode_cursor(q.after)
    if key is not None:
        if isinstance(key[0], str) and columns[0].type.python_type is datetime:
            try:
                key[0] = datetime.fromisoformat(key[0])
            except ValueError as exc:
                raise UsageError("invalid cursor") from exc
        compare = tuple_(*columns) < tuple_(*key) if descending else tuple_(*columns) > tuple_(*key)
        query = query.where(compare)
    order = [c.desc() for c in columns] if descending else list(columns)
    return query.order_by(*order).limit(q.limit + 1), row_key


def finish(rows: list[dict], q: Query, row_key) -> Page:
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    return Page(rows, encode_cursor(row_key(rows[-1])) if more and rows else None)


def _common_filters(query, model, q: Query):
    if q.platform:
        query = query.where(model.platform == q.platform)
    if q.since:
        query = query.where(model.created_at >= q.since)
    if q.until:
        query = query.where(model.created_at < q.until)
    if q.search:
        escaped = q.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(model.text.like(f"%{escaped}%", escape="\\"))
    return query


def comments(store: Store, version: str | None, q: Query) -> Page:
    """Comments at any depth with their enrichment (sentiment, intent) and theme."""
    q.check(("created_at", "sentiment"))
    root = aliased(Post)
    parent = aliased(Comment)
    sentiment_key = func.coalesce(Enrichment.sentiment_score, 0.0)
    query = (
        select(
            Comment.id.label("row"),
            Comment.platform,
            Comment.platform_id.label("id"),
            root.platform_id.label("thread"),
            parent.platform_id.label("parent"),
            Comment.ours,
            Comment.author,
            Comment.text,
            Comment.url,
            Comment.created_at,
            Enrichment.sentiment,
            Enrichment.sentiment_score,
            Enrichment.intent,
            Enrichment.intent_score,
            Theme.key.label("theme"),
            Theme.name.label("theme_name"),
        )
        .join(root, root.id == Comment.post_id)
        .outerjoin(parent, parent.id == Comment.parent_comment_id)
        .outerjoin(Enrichment, and_(Enrichment.text_hash == Comment.text_hash, Enrichment.model_version == version))
        .outerjoin(ThemeMember, ThemeMember.text_hash == Comment.text_hash)
        .outerjoin(Theme, Theme.id == ThemeMember.theme_id)
    )
    query = _common_filters(query, Comment, q)
    if q.intent:
        query = query.where(Enrichment.intent == q.intent)
    if q.sentiment:
        query = query.where(Enrichment.sentiment == q.sentiment)
    if q.theme:
        query = query.where(Theme.key == q.theme)
    if q.post:
        query = query.where(root.platform_id == q.post)
    if "ours" in q.extra:
        query = query.where(Comment.ours.is_(bool(q.extra["ours"])))
    if q.sort.lstrip("-") == "sentiment":
        columns, row_key = (sentiment_key, Comment.id), lambda r: [r["sentiment_score"] or 0.0, r["row"]]
    else:
        columns, row_key = (Comment.created_at, Comment.id), lambda r: [r["created_at"].isoformat(), r["row"]]
    query, row_key = _keyset(query, columns, q, row_key)
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    page = finish(rows, q, row_key)
    for row in page.items:
        row.pop("row")
    return page


def posts(store: Store, q: Query) -> Page:
    """Top-level posts (ours and the audience's) with how many comments each drew."""
    q.check(("created_at",))
    counts = (
        select(Comment.post_id, func.count().label("comments"))
        .group_by(Comment.post_id)
        .subquery()
    )
    query = select(
        Post.id.label("row"),
        Post.platform,
        Post.platform_id.label("id"),
        Post.ours,
        Post.author,
        Post.text,
        Post.url,
        Post.created_at,
        func.coalesce(counts.c.comments, 0).label("comments"),
    ).outerjoin(counts, counts.c.post_id == Post.id)
    if q.post:
        query = query.where(Post.platform_id == q.post)
    if "ours" in q.extra:
        query = query.where(Post.ours.is_(bool(q.extra["ours"])))
    query = _common_filters(query, Post, q)
    query, row_key = _keyset(
        query, (Post.created_at, Post.id), q, lambda r: [r["created_at"].isoformat(), r["row"]]
    )
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    page = finish(rows, q, row_key)
    for row in page.items:
        row.pop("row")
    return page


def ranked(rows: list[dict], q: Query, sorts: tuple[str, ...] = ("rank",)) -> Page:
    """Page a small computed list (already in rank order) by its rank; filters already applied."""
    q.check(sorts)
    for i, row in enumerate(rows, 1):
        row.setdefault("rank", i)
    if q.sort.startswith("-"):
        rows = rows[::-1]
    key = decode_cursor(q.after, 1)
    if key is not None:
        start = int(key[0]) if isinstance(key[0], int) else 0
        rows = [r for r in rows if (r["rank"] < start if q.sort.startswith("-") else r["rank"] > start)]
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    return Page(rows, encode_cursor([rows[-1]["rank"]]) if more and rows else None)


def matches(row: dict, q: Query, text_fields: tuple[str, ...] = ("text",)) -> bool:
    """The filters of ``q`` that apply to an in-memory row (platform, period, intent, search…)."""
    if q.platform and row.get("platform") not in (None, q.platform):
        return False
    created = row.get("created_at")
    if isinstance(created, datetime):
        naive = created.replace(tzinfo=None)
        if q.since and naive < q.since.replace(tzinfo=None):
            return False
        if q.until and naive >= q.until.replace(tzinfo=None):
            return False
    if q.intent and row.get("intent", row.get("dominant_intent")) != q.intent:
        return False
    if q.theme and row.get("theme") != q.theme:
        return False
    if q.post and q.post not in (row.get("thread"), row.get("post_id"), row.get("thread_id")):
        return False
    if q.search:
        needle = q.search.casefold()
        if not any(needle in str(row.get(f) or "").casefold() for f in text_fields):
            return False
    return True


def narrow(rows: list[dict], q: Query, text_fields: tuple[str, ...] = ("text",)) -> list[dict]:
    return [r for r in rows if matches(r, q, text_fields)]


__all__ = ["INTENTS", "MAX_LIMIT", "SENTIMENTS", "Page", "Query", "comments", "narrow", "posts", "ranked"]

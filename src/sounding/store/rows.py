"""How one record becomes one row: the single place post and comment rows are built.

Every write path uses these (the batched ``INSERT`` of :mod:`sounding.store.writer`, a bulk
``COPY``), so each stores the same text rule, hash, time format and first counts. A row is a tuple
in the order of :data:`POST_COLUMNS` / :data:`COMMENT_COLUMNS`; ``when`` turns a datetime into what
the backend's driver takes (:func:`sqlite_time`, :func:`utc_time`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from hashlib import blake2b

from sounding.records import CommentRecord, PostRecord, ReactionSnapshot

#: the first observation of the counts, on the item row (see :class:`sounding.store.models.FirstCounts`)
FIRST_COLUMNS = ("first_likes", "first_reposts", "first_replies", "first_views", "first_seen_at")
POST_COLUMNS = ("platform", "platform_id", "account_id", "ours", "author", "text", "text_hash", "url", "created_at",
                *FIRST_COLUMNS)
COMMENT_COLUMNS = ("platform", "platform_id", "post_id", "parent_comment_id", "ours", "author", "text",
                   "text_hash", "lang", "url", "created_at", *FIRST_COLUMNS)
SNAPSHOT_COLUMNS = ("platform", "target_id", "post_id", "comment_id", "taken_at", "likes", "reposts", "replies",
                    "views")

Timestamp = Callable[[datetime], object]


def sqlite_time(value: datetime) -> str:
    """UTC in SQLAlchemy's DATETIME storage format, so the driver gets it as is.

    Always 6 fraction digits, so stored and bound values compare right; without the offset
    ("+00:00"): naive UTC.
    """
    tz = value.tzinfo
    if tz is not UTC and tz is not None and value.utcoffset():
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def utc_time(value: datetime) -> datetime:
    """UTC, timezone-aware (PostgreSQL's ``timestamptz``)."""
    tz = value.tzinfo
    if tz is not UTC and tz is not None and value.utcoffset():
        return value.astimezone(UTC)
    return value.replace(tzinfo=UTC)


def text_hash(text: str) -> str:
    """Stable 128-bit hash of a text: enrichment and theme caches are keyed by it."""
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def clean(text: str | None) -> str | None:
    """Text as stored: without NUL characters, on every store.

    PostgreSQL text cannot hold NUL and SQLite could; stripping it on both keeps one rule, so the
    same input gives the same rows (and ``text_hash``) wherever it is stored. Ids are not cleaned:
    importers reject ids with NUL, since a changed id would name another item.
    """
    if text is not None and "\x00" in text:
        return text.replace("\x00", "")
    return text


def has_counts(record: PostRecord | CommentRecord) -> bool:
    return not (record.likes is None and record.reposts is None and record.replies is None and record.views is None)


NO_COUNTS = (None, None, None, None, None)


def first_counts(record: PostRecord | CommentRecord, created: object, when: Timestamp) -> tuple:
    """The five first-count values: the counts, and their time only where it is not ``created``."""
    likes, reposts, replies, views = record.likes, record.reposts, record.replies, record.views
    if likes is None and reposts is None and replies is None and views is None:
        return NO_COUNTS
    seen = None if record.observed_at is None else when(record.observed_at)
    return (likes, reposts, replies, views, None if seen == created else seen)


def post_row(p: PostRecord, account_id: int | None, author: str, when: Timestamp) -> tuple:
    """A post's row; ``author`` is its pseudonym."""
    text = clean(p.text)
    created = when(p.created_at)
    return (p.platform, p.id, account_id, p.ours, author, text, text_hash(text), clean(p.url), created,
            *first_counts(p, created, when))


def comment_rows(comments: list[CommentRecord], links: list[tuple[int | None, int]], authors: list[str],
                 when: Timestamp) -> list[tuple]:
    """Comments' rows: ``links`` holds each one's (parent comment id or ``None``, thread root post id),
    ``authors`` its pseudonym.

    A batch function, the most frequent loop of a large import: :func:`clean`, :func:`text_hash` and
    :func:`first_counts` are inlined (a call per comment and step showed in its profile).
    """
    rows = []
    append = rows.append
    for c, (parent_comment_id, post_id), author in zip(comments, links, authors, strict=True):
        text, lang, url = c.text, c.lang, c.url
        if "\x00" in text:
            text = text.replace("\x00", "")
        if lang is not None and "\x00" in lang:
            lang = lang.replace("\x00", "")
        if url is not None and "\x00" in url:
            url = url.replace("\x00", "")
        created = when(c.created_at)
        if c.likes is None and c.reposts is None and c.replies is None and c.views is None:
            firsts = NO_COUNTS
        else:
            seen = None if c.observed_at is None else when(c.observed_at)
            firsts = (c.likes, c.reposts, c.replies, c.views, None if seen == created else seen)
        append((c.platform, c.id, post_id, parent_comment_id, c.ours, author, text,
                blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest(), lang, url, created,
                *firsts))
    return rows


def counts_as_snapshots(
    stale: list[tuple[int, PostRecord | CommentRecord]],
) -> list[tuple[int, ReactionSnapshot]]:
    """Inline counts of items stored before become a snapshot at the record's observation (if changed)."""
    return [
        (index, ReactionSnapshot(r.platform, r.id, r.observed_at or r.created_at, r.likes, r.reposts, r.replies,
                                 r.views))
        for index, r in stale if has_counts(r)
    ]

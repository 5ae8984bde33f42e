"""How one record becomes one row: the single place post and comment rows are built.

Every write path uses these (the batched ``INSERT`` of :mod:`sounding.store.writer`, a bulk
``COPY``), so each stores the same text rule, hash, time format and first counts. A row is a tuple
in the order of :data:`POST_COLUMNS` / :data:`COMMENT_COLUMNS`; ``when`` turns a datetime into what
the backend's driver takes (see :meth:`RecordWriter._time`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from sounding.records import CommentRecord, PostRecord

#: the first observation of the counts, on the item row (see :class:`sounding.store.models.FirstCounts`)
FIRST_COLUMNS = ("first_likes", "first_reposts", "first_replies", "first_views", "first_seen_at")
POST_COLUMNS = ("platform", "platform_id", "account_id", "ours", "author", "text", "text_hash", "url", "created_at",
                *FIRST_COLUMNS)
COMMENT_COLUMNS = ("platform", "platform_id", "post_id", "parent_comment_id", "ours", "author", "text",
                   "text_hash", "lang", "url", "created_at", *FIRST_COLUMNS)
#: where ``created_at`` sits in a post or comment row
POST_CREATED, COMMENT_CREATED = POST_COLUMNS.index("created_at"), COMMENT_COLUMNS.index("created_at")
SNAPSHOT_COLUMNS = ("platform", "target_id", "post_id", "comment_id", "taken_at", "likes", "reposts", "replies",
                    "views")

Timestamp = Callable[[datetime], object]


def text_hash(text: str) -> str:
    """Stable 128-bit hash of a text: enrichment and theme caches are keyed by it."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


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


def first_counts(record: PostRecord | CommentRecord, created: object, when: Timestamp) -> tuple:
    """The five first-count values: the counts, and their time only where it is not ``created``."""
    if not has_counts(record):
        return (None, None, None, None, None)
    seen = None if record.observed_at is None else when(record.observed_at)
    return (record.likes, record.reposts, record.replies, record.views, None if seen == created else seen)


def post_row(p: PostRecord, account_id: int | None, author: str, when: Timestamp) -> tuple:
    """A post's row; ``author`` is its pseudonym."""
    text = clean(p.text)
    created = when(p.created_at)
    return (p.platform, p.id, account_id, p.ours, author, text, text_hash(text), clean(p.url), created,
            *first_counts(p, created, when))


def comment_row(c: CommentRecord, post_id: int, parent_comment_id: int | None, author: str, when: Timestamp) -> tuple:
    """A comment's row: ``post_id`` is the thread root, ``parent_comment_id`` null for a top-level reply."""
    text = clean(c.text)
    created = when(c.created_at)
    return (c.platform, c.id, post_id, parent_comment_id, c.ours, author, text, text_hash(text), clean(c.lang),
            clean(c.url), created, *first_counts(c, created, when))

"""Reddit data-request export (GDPR): ``posts.csv`` and ``comments.csv`` of one account.

``posts.csv``: id, permalink, date ("2025-05-18 04:35:32 UTC"), ip, subreddit, gildings, title, url,
body. ``comments.csv``: id, permalink, date, ip, subreddit, gildings, link (the post's URL), parent
(the parent comment's id; empty for a top-level comment), body, media. Everything is ours; the
``ip`` column is never read. Import ``posts.csv`` before ``comments.csv`` so replies find their posts.

Ids, texts and URLs go through :mod:`sounding.platforms.reddit`, as the connector's do, so an
export and a sync of the same account store the same rows. The author is the account name from
``statistics.csv`` beside the file (the export's ``account name`` row); without it, ``me``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from sounding.importers.base import MAX_ID, MAX_TEXT, Row, RowError, parse_time
from sounding.importers.generic import csv_rows, header_names
from sounding.platforms import reddit
from sounding.records import CommentRecord, PostRecord

UNKNOWN_AUTHOR = "me"


def _row_record(fields: dict[str, str], is_post: bool, author: str) -> PostRecord | CommentRecord:
    for name in ("id", "date"):
        if not fields.get(name):
            raise RowError(f"missing required field {name!r}")
    item_id = fields["id"].strip()
    if len(item_id) > MAX_ID or "\x00" in item_id:
        raise RowError("field 'id' is not a Reddit id")
    text = reddit.post_text(fields.get("title", ""), fields.get("body")) if is_post else fields.get("body", "")
    if len(text) > MAX_TEXT:
        raise RowError(f"text is {len(text):,} characters long (limit {MAX_TEXT:,})")
    url = reddit.permalink(fields.get("permalink"))
    common = dict(
        platform="reddit",
        id=reddit.fullname(item_id, reddit.POST if is_post else reddit.COMMENT),
        author=author,
        text=text,
        created_at=parse_time(fields["date"], "date"),
        url=url if url and len(url) <= 1000 else None,
        ours=True,
    )
    if is_post:
        return PostRecord(**common)
    parent = (fields.get("parent") or "").strip()
    if parent:
        parent = reddit.fullname(parent, reddit.COMMENT)
    else:
        parent = reddit.post_from_url(fields.get("link") or fields.get("permalink") or "")
        if not parent:
            raise RowError("comment has neither a parent nor a post link")
    if len(parent) > MAX_ID or "\x00" in parent:
        raise RowError("field 'parent' is not a Reddit id")
    return CommentRecord(parent_id=parent, **common)


def account_name(folder: Path) -> str:
    """The ``account name`` row of the export's ``statistics.csv``, if the file is there."""
    try:
        with open(folder / "statistics.csv", encoding="utf-8-sig", errors="replace", newline="") as handle:
            for row in csv.reader(handle):
                if len(row) >= 2 and row[0].strip().lower() in {"account name", "username"} and row[1].strip():
                    return reddit.handle(row[1])[:MAX_ID]
    except (OSError, csv.Error):
        pass
    return UNKNOWN_AUTHOR


class RedditExport:
    name = "reddit-export"
    description = "Reddit data-request export posts.csv / comments.csv"

    def matches(self, path: Path) -> bool:
        return path.name in {"posts.csv", "comments.csv"} and header_names(path)[:2] == ["id", "permalink"]

    def rows(self, path: Path) -> Iterator[Row]:
        is_post = path.name.startswith("posts")
        author = account_name(path.parent)
        return csv_rows(path, lambda fields: _row_record(fields, is_post, author))


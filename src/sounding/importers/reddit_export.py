"""Reddit data-request export (GDPR): ``posts.csv`` and ``comments.csv`` of one account.

``posts.csv``: id, permalink, date ("2025-05-18 04:35:32 UTC"), ip, subreddit, gildings, title, url,
body. ``comments.csv``: id, permalink, date, ip, subreddit, gildings, link (the post's URL), parent
(the parent comment's id; empty for a top-level comment), body, media. Everything is ours; the
``ip`` column is never read. Import ``posts.csv`` before ``comments.csv`` so replies find their posts.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from sounding.importers.base import MAX_TEXT, Row, RowError, parse_time
from sounding.importers.generic import _csv_line, _located_lines, open_binary
from sounding.records import CommentRecord, PostRecord

POST_ID = re.compile(r"/comments/([a-z0-9]+)")


def _strip_prefix(value: str) -> str:
    """Exports mix bare ids and fullnames (``t1_abc``/``t3_abc``); we store bare ids."""
    return value.split("_", 1)[1] if re.match(r"^t[0-9]_", value) else value


def _row_record(fields: dict[str, str], is_post: bool) -> PostRecord | CommentRecord:
    for name in ("id", "date"):
        if not fields.get(name):
            raise RowError(f"missing required field {name!r}")
    if is_post:
        text = "\n\n".join(part for part in (fields.get("title", ""), fields.get("body", "")) if part)
    else:
        text = fields.get("body", "")
    if len(text) > MAX_TEXT:
        raise RowError(f"text is {len(text):,} characters long (limit {MAX_TEXT:,})")
    common = dict(
        platform="reddit",
        id=_strip_prefix(fields["id"]),
        author="me",
        text=text,
        created_at=parse_time(fields["date"]),
        url=fields.get("permalink") or None,
        ours=True,
    )
    if is_post:
        return PostRecord(**common)
    parent = _strip_prefix(fields.get("parent") or "")
    if not parent:
        match = POST_ID.search(fields.get("link") or fields.get("permalink") or "")
        if not match:
            raise RowError("comment has neither a parent nor a post link")
        parent = match.group(1)
    return CommentRecord(parent_id=parent, **common)


class RedditExport:
    name = "reddit-export"
    description = "Reddit data-request export posts.csv / comments.csv"

    def matches(self, path: Path) -> bool:
        return path.name in {"posts.csv", "comments.csv"} and _header(path)[:2] == ["id", "permalink"]

    def rows(self, path: Path) -> Iterator[Row]:
        is_post = path.name.startswith("posts")
        with open_binary(path) as handle:
            lines = _located_lines(handle)
            reader = csv.DictReader(line for _, line in lines)
            for fields in reader:
                if lines.bad is not None:
                    yield Row(lines.current, lines.bad_raw, error=lines.bad)
                    lines.bad = None
                    continue
                try:
                    yield Row(lines.current, "", record=_row_record(fields, is_post))
                except RowError as exc:
                    yield Row(lines.current, _csv_line(list(fields.values())), error=str(exc))


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return [name.strip().lower() for name in next(csv.reader(handle), [])]

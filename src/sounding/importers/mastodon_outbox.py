"""Mastodon account archive: ``outbox.json`` (an ActivityPub OrderedCollection of our activities).

Each ``Create`` activity wraps a ``Note`` with ``id``, ``url``, ``published``, ``content`` (HTML),
``inReplyTo`` and ``attributedTo``. Everything in an archive is ours. A note that replies to
something outside the archive is rejected as an unknown parent (sync the account to get the thread).
The archive is one JSON document; ``ijson`` streams its items so large archives stay in flat memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import ijson

from sounding.importers.base import MAX_TEXT, Row, RowError, parse_time
from sounding.importers.generic import open_binary
from sounding.records import CommentRecord, PostRecord


class _TextOnly(HTMLParser):
    """Keeps the text of Mastodon's HTML; paragraphs and line breaks become newlines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in {"br", "p"} and self.parts:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()


def _status_id(uri: str) -> str:
    """Mastodon's API id is the last path segment of the ActivityPub id (…/statuses/<id>)."""
    return uri.rstrip("/").rsplit("/", 1)[-1]


def note_record(note: dict) -> PostRecord | CommentRecord:
    if not isinstance(note, dict) or note.get("type") != "Note":
        raise RowError("activity does not wrap a Note")
    for name in ("id", "published", "attributedTo"):
        if not note.get(name):
            raise RowError(f"Note lacks {name!r}")
    text = html_to_text(note.get("content") or "")
    if len(text) > MAX_TEXT:
        raise RowError(f"content is {len(text):,} characters long (limit {MAX_TEXT:,})")
    common = dict(
        platform="mastodon",
        id=_status_id(note["id"]),
        author=str(note["attributedTo"]),
        text=text,
        created_at=parse_time(note["published"]),
        url=note.get("url") if isinstance(note.get("url"), str) else None,
        ours=True,
    )
    parent = note.get("inReplyTo")
    if parent:
        return CommentRecord(parent_id=_status_id(str(parent)), **common)
    return PostRecord(**common)


class MastodonOutbox:
    name = "mastodon-outbox"
    description = "Mastodon account archive outbox.json (ActivityPub Create/Note activities)"

    def matches(self, path: Path) -> bool:
        return path.name in {"outbox.json", "outbox.json.gz"}

    def rows(self, path: Path) -> Iterator[Row]:
        with open_binary(path) as handle:
            try:
                for number, activity in enumerate(ijson.items(handle, "orderedItems.item"), start=1):
                    if not isinstance(activity, dict) or activity.get("type") != "Create":
                        continue  # Announce (boosts) and others are not our words
                    try:
                        yield Row(number, "", record=note_record(activity.get("object")))
                    except RowError as exc:
                        yield Row(number, str(activity)[:10_000], error=f"item {number}: {exc}")
            except ijson.JSONError as exc:
                yield Row(0, "", error=f"outbox is not valid JSON: {exc}")

"""What every import format shares: located rows, field validation, and the reject reasons."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sounding.records import CommentRecord, PostRecord, Record

MAX_TEXT = 100_000  # characters; longer than any platform allows, so longer means a broken row
MAX_ID = 255
MAX_URL = 1000
REQUIRED = ("kind", "platform", "id", "author", "text", "created_at")


class RowError(ValueError):
    """A row that cannot become a record; the message says why, for the rejects file."""


@dataclass(slots=True)
class Row:
    """One parsed unit of a file: its 1-based line, the raw text to set aside, and the outcome."""

    line: int
    raw: str
    record: Record | None = None
    error: str | None = None


class Format(Protocol):
    """An import format: a name, a cheap sniff, and a streaming reader of located rows."""

    name: str
    description: str

    def matches(self, path: Path) -> bool: ...

    def rows(self, path: Path) -> Iterator[Row]: ...


def parse_time(value: object) -> datetime:
    """ISO 8601 (with ``Z``) or Unix seconds → aware UTC datetime."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str) or not value.strip():
        raise RowError(f"created_at is not a time: {str(value)[:40]!r}")
    text = value.strip()
    if text.endswith(" UTC"):
        text = text[:-4] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"created_at is not ISO 8601: {text[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(fields: dict, name: str, limit: int) -> str | None:
    """A bounded string field; ``None`` when absent (REQUIRED is checked before)."""
    value = fields.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise RowError(f"field {name!r} must be a string, got {type(value).__name__}")
    value = str(value)
    if len(value) > limit:
        raise RowError(f"field {name!r} is {len(value):,} characters long (limit {limit:,})")
    return value


def _count(fields: dict, name: str) -> int | None:
    value = fields.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise RowError(f"field {name!r} is not a whole number: {str(value)[:20]!r}") from None
    if number < 0:
        raise RowError(f"field {name!r} is negative")
    return number


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "y", "t"}
    return bool(value)


def _fast_record(fields: dict) -> Record | None:
    """The common, already-clean row without per-field checks; ``None`` sends it to the full checks.

    Accepts only what :func:`record_from_fields` would accept unchanged (a subset), so both paths
    build the same record. The checks are inlined: on a million rows every function call shows.
    """
    get = fields.get
    platform, item_id, author, text = get("platform"), get("id"), get("author"), get("text")
    created, url, ours = get("created_at"), get("url"), get("ours", False)
    likes, reposts, replies, views = get("likes"), get("reposts"), get("replies"), get("views")
    if not (
        type(platform) is str and 0 < len(platform) <= 32
        and type(item_id) is str and 0 < len(item_id) <= MAX_ID
        and type(author) is str and 0 < len(author) <= MAX_ID
        and type(text) is str and len(text) <= MAX_TEXT and type(created) is str
        and (url is None or (type(url) is str and 0 < len(url) <= MAX_URL)) and type(ours) is bool
        and (likes is None or (type(likes) is int and likes >= 0))
        and (reposts is None or (type(reposts) is int and reposts >= 0))
        and (replies is None or (type(replies) is int and replies >= 0))
        and (views is None or (type(views) is int and views >= 0))
        and get("observed_at") is None and get("lang") is None
    ):
        return None
    try:
        created_at = datetime.fromisoformat(created)
    except ValueError:
        return None
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    kind = get("kind")
    if kind == "comment":
        parent = get("parent_id")
        if not (type(parent) is str and 0 < len(parent) <= MAX_ID):
            return None
        return CommentRecord(platform, item_id, parent, author, text, created_at, url, ours, None, likes, reposts,
                             replies, views)
    if kind == "post":
        return PostRecord(platform, item_id, author, text, created_at, url, ours, likes, reposts, replies, views)
    return None


def record_from_fields(fields: dict) -> Record:
    """Validate one generic row (JSONL object or CSV row) and build its record."""
    if type(fields) is dict and (record := _fast_record(fields)) is not None:
        return record
    if not isinstance(fields, dict):
        raise RowError("row is not an object")
    for name in REQUIRED:
        if name not in fields or fields[name] is None or (fields[name] == "" and name != "text"):
            raise RowError(f"missing required field {name!r}")
    kind = str(fields["kind"]).strip().lower()
    common = dict(
        platform=_text(fields, "platform", 32),
        id=_text(fields, "id", MAX_ID),
        author=_text(fields, "author", MAX_ID),
        text=_text(fields, "text", MAX_TEXT) or "",
        created_at=parse_time(fields["created_at"]),
        url=_text(fields, "url", MAX_URL),
        ours=_flag(fields.get("ours", False)),
        likes=_count(fields, "likes"),
        reposts=_count(fields, "reposts"),
        replies=_count(fields, "replies"),
        views=_count(fields, "views"),
        observed_at=parse_time(fields["observed_at"]) if fields.get("observed_at") else None,
    )
    if kind == "post":
        return PostRecord(**common)
    if kind == "comment":
        parent = _text(fields, "parent_id", MAX_ID)
        if parent is None:
            raise RowError("missing required field 'parent_id' (a comment replies to a post or comment)")
        return CommentRecord(parent_id=parent, lang=_text(fields, "lang", 16), **common)
    raise RowError(f"kind must be 'post' or 'comment', got {str(fields['kind'])[:20]!r}")

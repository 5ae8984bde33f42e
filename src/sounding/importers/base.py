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
MAX_COUNT = 2**63 - 1  # the largest count a BIGINT column holds on every store
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


def json_error(exc: Exception) -> str:
    """The parser's reason on one line (yajl's message is bytes with the text around the error)."""
    reason = exc.args[0] if exc.args else exc
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", "replace")
    return str(reason).strip().splitlines()[0] if str(reason).strip() else type(exc).__name__


def parse_time(value: object, name: str = "created_at") -> datetime:
    """ISO 8601 (with ``Z``) or Unix seconds → aware UTC datetime, or :class:`RowError`.

    Normalised to UTC here, so a time whose UTC form leaves the calendar (``0001-01-01T00:00+14:00``)
    is this row's error and never the store's.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise RowError(f"{name} is not a time: {str(value)[:40]!r}") from None
    if not isinstance(value, str) or not value.strip():
        raise RowError(f"{name} is not a time: {str(value)[:40]!r}")
    text = value.strip()
    if text.endswith(" UTC"):
        text = text[:-4] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"{name} is not ISO 8601: {text[:40]!r}") from None
    return as_utc(parsed, name)


def as_utc(value: datetime, name: str = "created_at") -> datetime:
    """The same instant in UTC; :class:`RowError` when that falls outside years 1–9999."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if value.tzinfo is UTC:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise RowError(f"{name} is outside the years 1-9999 in UTC: {value.isoformat()[:40]!r}") from None


def _text(fields: dict, name: str, limit: int, key: bool = False) -> str | None:
    """A bounded string field; ``None`` when absent (REQUIRED is checked before).

    ``key`` fields (platform, ids) must not hold NUL: PostgreSQL cannot store it, and dropping it
    would silently name another item. Texts keep it; the writer strips NUL from them on every store.
    """
    value = fields.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise RowError(f"field {name!r} must be a string, got {type(value).__name__}")
    value = str(value)
    if len(value) > limit:
        raise RowError(f"field {name!r} is {len(value):,} characters long (limit {limit:,})")
    if key and "\x00" in value:
        raise RowError(f"field {name!r} contains a NUL character")
    return value


def _count(fields: dict, name: str) -> int | None:
    value = fields.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise RowError(f"field {name!r} is not a whole number: {str(value)[:20]!r}") from None
    if number < 0:
        raise RowError(f"field {name!r} is negative")
    if number > MAX_COUNT:
        raise RowError(f"field {name!r} is too large (over {MAX_COUNT:,})")
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
        type(platform) is str and 0 < len(platform) <= 32 and "\x00" not in platform
        and type(item_id) is str and 0 < len(item_id) <= MAX_ID and "\x00" not in item_id
        and type(author) is str and 0 < len(author) <= MAX_ID
        and type(text) is str and len(text) <= MAX_TEXT and type(created) is str
        and (url is None or (type(url) is str and 0 < len(url) <= MAX_URL)) and type(ours) is bool
        and (likes is None or (type(likes) is int and 0 <= likes <= MAX_COUNT))
        and (reposts is None or (type(reposts) is int and 0 <= reposts <= MAX_COUNT))
        and (replies is None or (type(replies) is int and 0 <= replies <= MAX_COUNT))
        and (views is None or (type(views) is int and 0 <= views <= MAX_COUNT))
        and get("observed_at") is None and get("lang") is None
    ):
        return None
    try:
        created_at = datetime.fromisoformat(created)
    except ValueError:
        return None
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    elif created_at.tzinfo is not UTC and created_at.utcoffset():
        return None  # the full checks convert it and reject a time outside the calendar
    kind = get("kind")
    if kind == "comment":
        parent = get("parent_id")
        if not (type(parent) is str and 0 < len(parent) <= MAX_ID and "\x00" not in parent):
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
        platform=_text(fields, "platform", 32, key=True),
        id=_text(fields, "id", MAX_ID, key=True),
        author=_text(fields, "author", MAX_ID),
        text=_text(fields, "text", MAX_TEXT) or "",
        created_at=parse_time(fields["created_at"]),
        url=_text(fields, "url", MAX_URL),
        ours=_flag(fields.get("ours", False)),
        likes=_count(fields, "likes"),
        reposts=_count(fields, "reposts"),
        replies=_count(fields, "replies"),
        views=_count(fields, "views"),
        observed_at=parse_time(fields["observed_at"], "observed_at") if fields.get("observed_at") else None,
    )
    if kind == "post":
        return PostRecord(**common)
    if kind == "comment":
        parent = _text(fields, "parent_id", MAX_ID, key=True)
        if parent is None:
            raise RowError("missing required field 'parent_id' (a comment replies to a post or comment)")
        return CommentRecord(parent_id=parent, lang=_text(fields, "lang", 16), **common)
    raise RowError(f"kind must be 'post' or 'comment', got {str(fields['kind'])[:20]!r}")

"""Meta (Instagram, Threads, Facebook): the text and times of the "Download your information" JSON.

Meta writes every string of these files as UTF-8 bytes each escaped as one character
(``"caf\\u00c3\\u00a9"`` for ``café``), so JSON decoding gives latin-1 mojibake; :func:`repair`
turns it back. Times are Unix seconds. The archives carry no Graph API ids (a post is named by
its media file, a comment by nothing), so archive rows get stable ids of their own
(:func:`sounding.platforms.archive_id`) and cannot meet the rows ``sounding sync`` stores for the same post.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

ARCHIVE_OWNER = "[archive owner]"


def repair(value: Any) -> str:
    """Meta's latin-1-escaped UTF-8 back to text; a string that is not mojibake stays as it is."""
    if not isinstance(value, str):
        return "" if value is None else str(value)
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def seconds(value: Any) -> datetime | None:
    """A Unix-seconds timestamp (int or numeric string) as UTC; ``None`` when it is not one."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    if number <= 0:
        return None
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        return None


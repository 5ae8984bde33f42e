"""Small helpers shared by the platform modules."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from dateutil.parser import isoparse


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(value: str | None) -> str:
    """Plain text of a Mastodon/YouTube HTML fragment (paragraphs and line breaks kept)."""
    if not value:
        return ""
    parser = _Text()
    parser.feed(value)
    parser.close()
    return html.unescape("".join(parser.parts)).strip()


def as_datetime(value: Any) -> datetime:
    """A timezone-aware datetime from a datetime, ISO string or epoch number."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    dt = isoparse(str(value))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def as_int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

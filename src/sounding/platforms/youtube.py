"""YouTube: watch and comment URLs, and the text of a Takeout comment.

Video ids, comment ids (``<top-level id>.<reply id>`` for replies) and channel ids are the same in
the Data API and in Google Takeout, so both doors store the same rows.
"""

from __future__ import annotations

import json

from sounding.platforms import whole_seconds

__all__ = ["comment_url", "post_text", "takeout_text", "video_url", "whole_seconds"]

WATCH = "https://www.youtube.com/watch?v="


def video_url(video_id: str) -> str:
    return WATCH + video_id


def comment_url(video_id: str | None, comment_id: str) -> str | None:
    return f"{WATCH}{video_id}&lc={comment_id}" if video_id else None


def post_text(title: str, description: str | None) -> str:
    """A video as one text, as the connector stores it: the title, then the description."""
    return f"{title}\n\n{description}" if description else title


def takeout_text(value: str) -> str:
    """Takeout's ``Comment Text``: ``{"takeoutSegments":[{"text":…}]}`` (before mid-2024), a list
    of segments written without brackets (``{"text":"Hi "},{"text":"@x","mention":…}``, later), or
    plain text (some exports); the segments' texts joined."""
    text = value.strip()
    if not text.startswith("{"):
        return value
    try:
        parsed = json.loads(f"[{text}]")
    except ValueError:
        return value
    segments = parsed
    if len(parsed) == 1 and isinstance(parsed[0], dict) and "takeoutSegments" in parsed[0]:
        segments = parsed[0]["takeoutSegments"]
    if not isinstance(segments, list) or not all(isinstance(s, dict) for s in segments):
        return value
    return "".join(str(s.get("text") or "") for s in segments)

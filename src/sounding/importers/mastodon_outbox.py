"""Mastodon account archive: ``outbox.json`` (an ActivityPub OrderedCollection of our activities).

Each ``Create`` activity wraps a ``Note`` with ``id``, ``url``, ``published``, ``content`` (HTML),
``inReplyTo`` and ``attributedTo``. Everything in an archive is ours. A note that replies to
something outside the archive is rejected as an unknown parent (sync the account to get the thread).
The archive is one JSON document; ``ijson`` streams its items so large archives stay in flat memory.

Ids, author, text and time go through :mod:`sounding.platforms.mastodon`, as the connector's do,
so an archive and a sync of the same account store the same rows. A reply to a status on another
instance keeps that status's URI as its parent: its id there is not its id on our instance.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import ijson

from sounding.importers.base import MAX_ID, MAX_TEXT, Row, RowError, json_error, parse_time
from sounding.importers.generic import open_binary
from sounding.platforms import mastodon
from sounding.records import CommentRecord, PostRecord


def _string(note: dict, name: str, required: bool = True) -> str | None:
    value = note.get(name)
    if value is None or value == "":
        if required:
            raise RowError(f"Note lacks {name!r}")
        return None
    if not isinstance(value, str):
        raise RowError(f"Note {name!r} must be a string, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RowError(f"Note {name!r} is not valid text (lone surrogate)") from None
    return value


def _language(note: dict) -> str | None:
    languages = note.get("contentMap")
    if isinstance(languages, dict) and len(languages) == 1:
        (lang,) = languages
        if isinstance(lang, str) and 0 < len(lang) <= 16:
            return lang
    return None


def note_record(note: object) -> PostRecord | CommentRecord:
    if not isinstance(note, dict) or note.get("type") != "Note":
        raise RowError("activity does not wrap a Note")
    uri = _string(note, "id")
    actor = _string(note, "attributedTo")
    published = _string(note, "published")
    text = mastodon.html_to_text(_string(note, "content", required=False))
    if len(text) > MAX_TEXT:
        raise RowError(f"content is {len(text):,} characters long (limit {MAX_TEXT:,})")
    item_id, author = mastodon.status_id(uri), mastodon.acct_from_actor(actor)
    if not item_id or len(item_id) > MAX_ID or "\x00" in item_id:
        raise RowError("Note 'id' does not end in a status id")
    if not author or len(author) > MAX_ID:
        raise RowError("Note 'attributedTo' does not name an account")
    url = note.get("url") if isinstance(note.get("url"), str) else None
    url = url or uri
    common = dict(
        platform="mastodon",
        id=item_id,
        author=author,
        text=text,
        created_at=mastodon.whole_seconds(parse_time(published, "published")),
        url=url if len(url) <= 1000 else None,
        ours=True,
    )
    parent = note.get("inReplyTo")
    if parent is None or parent == "":
        return PostRecord(**common)
    if not isinstance(parent, str):
        raise RowError(f"Note 'inReplyTo' must be a string, got {type(parent).__name__}")
    local = mastodon.host(parent) == mastodon.host(uri)
    parent_id = mastodon.status_id(parent) if local else parent
    if not parent_id or len(parent_id) > MAX_ID or "\x00" in parent_id:
        raise RowError("Note 'inReplyTo' is not a status this archive can name")
    return CommentRecord(parent_id=parent_id, lang=_language(note), **common)


class MastodonOutbox:
    name = "mastodon-outbox"
    description = "Mastodon account archive outbox.json (ActivityPub Create/Note activities)"

    def matches(self, path: Path) -> bool:
        return path.name in {"outbox.json", "outbox.json.gz"}

    def rows(self, path: Path) -> Iterator[Row]:
        with open_binary(path) as handle:
            number = 0
            try:
                for number, activity in enumerate(ijson.items(handle, "orderedItems.item"), start=1):
                    if not isinstance(activity, dict) or activity.get("type") != "Create":
                        continue  # Announce (boosts) and others are not our words
                    try:
                        yield Row(number, "", record=note_record(activity.get("object")))
                    except RowError as exc:
                        yield Row(number, _shown(activity), error=f"item {number}: {exc}")
            except ijson.JSONError as exc:
                yield Row(number + 1, "", error=f"outbox is not valid JSON after item {number}: {json_error(exc)[:200]}")


def _shown(activity: dict) -> str:
    return repr(activity)[:10_000].encode("utf-8", "backslashreplace").decode("utf-8")
